#!/usr/bin/env python3
"""Prints bench/run's table from the files of one run (target/bench/<time>/), and checks the
targets. Exit status 1 when a target is missed, and also when the run is incomplete or unsound:
a missing file (results, anchor, pgbench, RSS, deep cursor, subscriptions), a missing row (GraphQL or REST, each
backend and concurrency; the anchor's rows and ceiling lines), a row with errors (GraphQL errors
in a 200 included), or an anchor row the PostGraphile harness flagged as noisy (`!` or `~`). A
verdict must never stand on what was not measured.

usage: table.py RUN_DIR
"""
import json
import os
import platform
import sys


def parse_result(fields):
    values = dict(field.split("=", 1) for field in fields if "=" in field)
    errors = sum(int(values[k]) for k in values if k.startswith("err_"))
    return float(values["rps"]), float(values["p50_ms"]), float(values["p99_ms"]), errors


def sql_rates(anchor, parley_sql, query):
    """The query's SQL from pgbench in this run: (label, tps) pairs, the harness's and Parley's."""
    rates = []
    if (f"sql:{query}/prepared", 16) in anchor:
        rates.append(("the harness's SQL", anchor[(f"sql:{query}/prepared", 16)][0]))
    if query in parley_sql:
        rates.append(("Parley's statements", parley_sql[query]))
    return rates


def ceilings(anchor, parley, parley_sql, concs):
    """What this machine allows, measured in the same run: a request with no data (`{ __typename }`)
    and each query's SQL from pgbench with no server in between."""
    print("Ceilings on this machine (same run):")
    for conc in concs:
        row = [f"  {{ __typename }} c{conc}:"]
        if ("typename", conc) in anchor:
            row.append(f"PostGraphile {anchor[('typename', conc)][0]:.1f} req/s,")
        for backend in BACKENDS:
            if (backend, "typename", conc) in parley:
                row.append(f"Parley ({backend}) {parley[(backend, 'typename', conc)][0]:.1f},")
        for name, label in BARE_ROWS.items():
            if ("bare", name, conc) in parley:
                row.append(f"{label} {parley[('bare', name, conc)][0]:.1f},")
        print(" ".join(row).rstrip(","))
    for query in ("sessions100", "session_messages"):
        sql = sql_rates(anchor, parley_sql, query)
        if not sql:
            continue
        best = max(tps for _, tps in sql)
        said = ", ".join(f"{name} {tps:.1f} tps" for name, tps in sql)
        print(f"  {query} from pgbench (16 clients, prepared): {said}")
        for conc in concs:
            if (query, conc) in anchor:
                target = 3 * anchor[(query, conc)][0]
                print(f"    3x PostGraphile at c{conc} = {target:.1f} req/s = {target / best:.2f}x the faster SQL")
            driver = parley.get(("bare", "driver:" + query, conc))
            if driver is not None and query in parley_sql:
                print(f"    sqlx alone, no GraphQL, at c{conc}: {driver[0]:.1f} req/s = "
                      f"{driver[0] / parley_sql[query]:.0%} of pgbench of Parley's statements")
            minimal = parley.get(("bare", "minimal:" + query, conc))
            if minimal is not None and query in parley_sql:
                print(f"    the smallest async-graphql server on sqlx at c{conc}: {minimal[0]:.1f} req/s = "
                      f"{minimal[0] / parley_sql[query]:.0%} of pgbench of Parley's statements")


def typename_targets(anchor, parley, concs, misses):
    """`{ __typename }` on each backend: at least 3x PostGraphile's, and within 2x of the bare axum
    server measured in the same round (the framework's ceiling: the rest is the GraphQL server's
    cost, async-graphql's own, measured alone in the same round, and Parley's)."""
    for conc in concs:
        for name in BARE_ROWS:
            row = parley.get(("bare", name, conc))
            if row is not None and row[3]:
                misses.append(f"{BARE_ROWS[name]} typename c{conc}: {row[3]} errors")
        ceiling, floor = parley.get(("bare", "ceiling:typename", conc)), parley.get(("bare", "floor:typename", conc))
        for backend in BACKENDS:
            row = parley.get((backend, "typename", conc))
            if row is None:
                continue
            if ("typename", conc) in anchor and row[0] < 3 * anchor[("typename", conc)][0]:
                misses.append(f"{backend} typename c{conc}: {row[0] / anchor[('typename', conc)][0]:.2f}x "
                              f"PostGraphile (< 3x)")
            if ceiling is not None and 2 * row[0] < ceiling[0]:
                miss = f"{backend} typename c{conc}: {ceiling[0] / row[0]:.2f}x slower than bare axum (> 2x)"
                if floor is not None:
                    # async-graphql alone, with nothing of Parley's: the part of the gap that is
                    # the framework's, which no change to Parley can close.
                    miss += (f"; async-graphql alone is {ceiling[0] / floor[0]:.2f}x slower than bare "
                             f"axum, Parley {floor[0] / row[0]:.2f}x slower than async-graphql alone")
                misses.append(miss)


def throughput_target(query, conc, rps, anchor_rps, parley_sql, parley, misses):
    """Target 1, a query's GraphQL row on PostgreSQL: at least 3x PostGraphile's req/s, or, where
    3x is above 35% of what PostgreSQL alone answers for Parley's own statements (pgbench, same
    run), at least 35% of that. A miss says what the same statements answer through sqlx alone,
    with no GraphQL (examples/ceiling.rs): the HTTP server's, the driver's and the JSON's ceiling;
    and through the smallest async-graphql server of the query's shape on them (the same file),
    the stack's ceiling for a GraphQL answer: a target above that row is beyond the stack."""
    target, why = 3 * anchor_rps, "3x PostGraphile"
    sql = parley_sql.get(query)
    if sql is not None and target > 0.35 * sql:
        target, why = 0.35 * sql, f"35% of pgbench's {sql:.1f} tps of Parley's statements (3x PostGraphile is {3 * anchor_rps / sql:.0%} of it)"
    if rps >= target:
        return
    miss = (f"{query} c{conc}: req/s {rps / anchor_rps:.2f}x PostGraphile, {rps:.1f} < {target:.1f} "
            f"({why})")
    driver = parley.get(("bare", "driver:" + query, conc))
    if driver is not None:
        miss += (f"; its statements through sqlx alone, without GraphQL, answer {driver[0]:.1f} req/s "
                 f"({driver[0] / target:.2f}x the target), Parley {rps / driver[0]:.2f}x of that")
    minimal = parley.get(("bare", "minimal:" + query, conc))
    if minimal is not None:
        miss += (f"; the smallest async-graphql server on them answers {minimal[0]:.1f} req/s "
                 f"({minimal[0] / target:.2f}x the target), Parley {rps / minimal[0]:.2f}x of that")
        if minimal[0] < target:
            miss += " (the target is beyond this stack)"
    misses.append(miss)


def p99_miss(query, conc, p99, anchor_p99, parley):
    """Target 1's latency half missed: p99 above a third of PostGraphile's. Says the smallest
    async-graphql server's p99 on the same statements (examples/ceiling.rs), and whether that is
    above the target too."""
    miss = f"{query} c{conc}: p99 {p99 / anchor_p99:.2f}x PostGraphile (> 1/3)"
    minimal = parley.get(("bare", "minimal:" + query, conc))
    if minimal is not None:
        miss += (f"; the smallest async-graphql server on its statements: p99 {minimal[2]:.2f} ms = "
                 f"{minimal[2] / anchor_p99:.2f}x PostGraphile")
        if minimal[2] > anchor_p99 / 3:
            miss += " (the target is beyond this stack)"
    return miss


def sqlite_targets(parley, concs, misses):
    """Each SQLite row at least the same row on PostgreSQL: the embedded default must not be the
    slower way to run Parley."""
    for name in PARLEY_ROWS:
        for conc in concs:
            pg, lite = parley.get(("postgres", name, conc)), parley.get(("sqlite", name, conc))
            if pg is None or lite is None:
                continue
            if lite[0] < pg[0]:
                misses.append(f"sqlite {name} c{conc}: {lite[0] / pg[0]:.2f}x PostgreSQL's req/s (< 1x)")


def baseline(run, parley, misses):
    """With `BASELINE=<rev>`: each row of this build against the same row of the baseline's, both
    measured in the same rounds; a row more than 5% slower in req/s is a miss."""
    if not any(name.startswith("base:") for (_, name, _) in parley):
        return
    revisions = lines_of(run, "baseline.txt", misses)
    said = revisions[0].split() if revisions else ["?", "?"]
    print()
    print(f"Against the baseline {said[0]} (this build {said[1]}; same run, mirrored halves):")
    for (backend, name, conc), (rps, _, p99, _) in sorted(parley.items()):
        if backend == "bare" or name.startswith("base:"):
            continue
        base = parley.get((backend, "base:" + name, conc))
        if base is None:
            misses.append(f"baseline row missing: {backend} {name} c{conc}")
            continue
        b_rps, _, b_p99, b_err = base
        ratio = rps / b_rps
        print(f"  {backend:<9} {name:<22} c{conc:<3} {rps:>9.1f} vs {b_rps:>9.1f} req/s = {ratio:.3f}x, "
              f"p99 {p99:.2f} vs {b_p99:.2f} ms")
        if ratio < 0.95:
            misses.append(f"{backend} {name} c{conc}: {ratio:.3f}x the baseline's req/s (> 5% slower)")
        if b_err:
            misses.append(f"baseline {backend} {name} c{conc}: {b_err} errors")


def subscriptions(run, misses):
    """The subscriptions row (examples/subscribers.rs): 10,000 idle graphql-ws subscribers in one
    process at <= 32 KiB each, and one event to 1,000 of them in <= 50 ms for the last (the median
    of the run's events; each event is printed)."""
    lines = lines_of(run, "subscriptions.json", misses)
    if not lines:
        return
    row = json.loads(lines[0])
    total, audience, per = row["subscribers"], row["audience"], row["kib_per_subscriber"]
    lasts = sorted(event["last_ms"] for event in row["events"])
    print(f"Subscriptions ({row['backend']}): {total:,} sockets subscribed to messageAdded, "
          f"{audience:,} on one session, the others on {row['quiet_sessions']:,}: "
          f"RSS {row['rss_before_kib'] / 1024:.1f} -> {row['rss_after_kib'] / 1024:.1f} MiB "
          f"= {per:.1f} KiB each (opened in {row['open_seconds']:.1f} s)")
    p50s = sorted(event["p50_ms"] for event in row["events"])
    if lasts:
        print(f"  {len(lasts)} messages to {audience:,} of them, one at a time: the last subscriber "
              f"after {lasts[len(lasts) // 2]:.1f} ms (median; {lasts[0]:.1f}-{lasts[-1]:.1f}), "
              f"the median one after {p50s[len(p50s) // 2]:.1f} ms")
    if total < 10_000 or audience < 1_000:
        misses.append(f"subscriptions row measured {total} subscribers, {audience} watching (needs 10,000 and 1,000)")
    if per > 32:
        misses.append(f"subscriptions: {per:.1f} KiB per idle subscriber (> 32)")
    if not lasts:
        misses.append("subscriptions: no event measured")
    elif lasts[len(lasts) // 2] > 50:
        misses.append(f"subscriptions: an event reached the last of {audience} subscribers in "
                      f"{lasts[len(lasts) // 2]:.1f} ms, median of {len(lasts)} (> 50)")


BACKENDS = ("postgres", "sqlite")
QUERIES = ("sessions100", "session_messages")
# Every row bench/run measures, per backend and concurrency.
PARLEY_ROWS = ("typename",) + QUERIES + tuple("rest:" + q for q in QUERIES)
# The ceiling rows (backend `bare`: examples/ceiling.rs), measured in the typename rounds.
BARE_ROWS = {"ceiling:typename": "bare axum", "floor:typename": "async-graphql alone"}
# Each query's statements through sqlx alone, with no GraphQL (examples/ceiling.rs), measured in
# the query's rounds: what a server on the same HTTP stack, driver and JSON answers on PostgreSQL.
DRIVER_ROWS = tuple("driver:" + q for q in QUERIES)
# The same statements answered by the smallest async-graphql server of the query's shape (the same
# file), in the same rounds: what any GraphQL server on this stack answers for the query.
MINIMAL_ROWS = tuple("minimal:" + q for q in QUERIES)
# The anchor's rows per concurrency, and its pgbench ceiling lines (16 clients, prepared).
ANCHOR_ROWS = ("typename",) + QUERIES
ANCHOR_SQL = tuple(f"sql:{q}/prepared" for q in QUERIES)


def lines_of(run, name, misses):
    """The lines of `name` in the run, or none (and a miss) when it is not there."""
    path = os.path.join(run, name)
    if not os.path.exists(path):
        misses.append(f"{name} is missing: that part of the run did not happen")
        return []
    with open(path) as lines:
        return [line for line in lines if line.strip()]


def main():
    run = sys.argv[1]
    misses = []
    parley = {}
    for line in lines_of(run, "results.tsv", misses):
        backend, name, conc, *fields = line.split()
        parley[(backend, name, int(conc))] = parse_result(fields)
    anchor = {}
    noisy = []
    for line in lines_of(run, "postgraphile_table.txt", misses):
        cols = line.split()
        if len(cols) < 6 or not cols[1].isdigit():
            continue
        # `gql:sessions100` or `sql:sessions100/prepared` (pgbench), with `!` or `~` after it
        # when the harness flags the row as unreliable.
        query = cols[0].removeprefix("gql:").rstrip("!~")
        if cols[0] != cols[0].rstrip("!~"):
            noisy.append(f"{query} c{cols[1]}")
        anchor[(query, int(cols[1]))] = (float(cols[2]), float(cols[3]), float(cols[4]), int(cols[5]))
    parley_sql = {}
    for line in lines_of(run, "pgbench_parley.txt", misses):
        fields = line.split()
        if len(fields) != 2:
            misses.append(f"pgbench_parley.txt: no tps in `{line.strip()}`")
            continue
        parley_sql[fields[0]] = float(fields[1])
    rss = {}
    for line in lines_of(run, "rss.txt", misses):
        backend, mib = line.split()
        rss[backend] = float(mib)

    # Completeness: every row and ceiling line the verdict stands on.
    concs = sorted({conc for (_, _, conc) in parley} | {conc for (q, conc) in anchor if q in ANCHOR_ROWS})
    if not concs:
        misses.append("no rows at all")
    for backend in BACKENDS:
        for name in PARLEY_ROWS:
            for conc in concs:
                if (backend, name, conc) not in parley:
                    misses.append(f"row missing: Parley ({backend}) {name} c{conc}")
        if backend not in rss:
            misses.append(f"peak RSS missing for {backend}")
    for name in BARE_ROWS:
        for conc in concs:
            if ("bare", name, conc) not in parley:
                misses.append(f"row missing: {BARE_ROWS[name]} {name} c{conc}")
    for name in DRIVER_ROWS:
        for conc in concs:
            if ("bare", name, conc) not in parley:
                misses.append(f"row missing: sqlx alone {name} c{conc}")
    for name in MINIMAL_ROWS:
        for conc in concs:
            if ("bare", name, conc) not in parley:
                misses.append(f"row missing: the smallest async-graphql server {name} c{conc}")
    for name in ANCHOR_ROWS:
        for conc in concs:
            if (name, conc) not in anchor:
                misses.append(f"anchor row missing: PostGraphile {name} c{conc}")
    for name in ANCHOR_SQL:
        if (name, 16) not in anchor:
            misses.append(f"ceiling line missing: {name} (pgbench, 16 clients)")
    for query in QUERIES:
        if query not in parley_sql:
            misses.append(f"ceiling line missing: pgbench of Parley's statements for {query}")
    for row in noisy:
        misses.append(f"anchor row flagged noisy by the harness: {row} (measure again)")
    for (query, conc), (_, _, _, err) in sorted(anchor.items()):
        if err:
            misses.append(f"anchor row {query} c{conc}: {err} errors")

    print(f"bench/run {os.path.basename(run)} on this machine: "
          f"{os.cpu_count()} cores, {platform.machine()}")
    header = f"{'server':<22} {'query':<22} {'conc':>4} {'req/s':>9} {'p50_ms':>8} {'p99_ms':>8} {'errors':>6}  ratio"
    print(header)
    print("-" * len(header))
    for query in QUERIES:
        for conc in concs:
            if (query, conc) in anchor:
                rps, p50, p99, err = anchor[(query, conc)]
                print(f"{'PostGraphile 5':<22} {query:<22} {conc:>4} {rps:>9.1f} {p50:>8.2f} {p99:>8.2f} {err:>6}")
            for backend in BACKENDS:
                key = (backend, query, conc)
                if key not in parley:
                    continue
                rps, p50, p99, err = parley[key]
                ratio = ""
                if (query, conc) in anchor:
                    a_rps, _, a_p99, _ = anchor[(query, conc)]
                    ratio = f"{rps / a_rps:.2f}x req/s, p99 {p99 / a_p99:.2f}x"
                    if backend == "postgres":
                        throughput_target(query, conc, rps, a_rps, parley_sql, parley, misses)
                        if p99 > a_p99 / 3:
                            misses.append(p99_miss(query, conc, p99, a_p99, parley))
                print(f"{'Parley (' + backend + ')':<22} {query:<22} {conc:>4} {rps:>9.1f} {p50:>8.2f} {p99:>8.2f} {err:>6}  {ratio}")
                if err:
                    misses.append(f"{backend} {query} c{conc}: {err} errors")
                # The ceiling rows of the query on PostgreSQL (examples/ceiling.rs), beside it.
                for prefix, label, said in (("driver:", "sqlx alone (postgres)", "sqlx alone"),
                                            ("minimal:", "async-graphql on sqlx", "the smallest async-graphql server")):
                    ceiling = parley.get(("bare", prefix + query, conc))
                    if backend != "postgres" or not ceiling:
                        continue
                    c_rps, c_p50, c_p99, c_err = ceiling
                    print(f"{label:<22} {query:<22} {conc:>4} {c_rps:>9.1f} {c_p50:>8.2f} {c_p99:>8.2f} {c_err:>6}  "
                          f"Parley {rps / c_rps:.2f}x of it")
                    if c_err:
                        misses.append(f"{said} {query} c{conc}: {c_err} errors")
                rest = parley.get((backend, "rest:" + query, conc))
                if rest:
                    r_rps, r_p50, r_p99, r_err = rest
                    share = r_rps / rps
                    print(f"{'Parley (' + backend + ') REST':<22} {query:<22} {conc:>4} {r_rps:>9.1f} {r_p50:>8.2f} {r_p99:>8.2f} {r_err:>6}  {share:.2f}x of GraphQL")
                    if share < 0.9:
                        misses.append(f"{backend} REST {query} c{conc}: {share:.2f}x of GraphQL (< 0.9)")
                    if r_err:
                        misses.append(f"{backend} REST {query} c{conc}: {r_err} errors")
    for backend in BACKENDS:
        for conc in concs:
            row = parley.get((backend, "typename", conc))
            if row and row[3]:
                misses.append(f"{backend} typename c{conc}: {row[3]} errors")
    typename_targets(anchor, parley, concs, misses)
    sqlite_targets(parley, concs, misses)
    baseline(run, parley, misses)
    print()
    ceilings(anchor, parley, parley_sql, concs)
    print()
    for backend, mib in rss.items():
        print(f"Parley peak RSS ({backend}): {mib:.1f} MiB")
        if mib >= 64:
            misses.append(f"peak RSS on {backend}: {mib:.1f} MiB (>= 64)")
    deep = lines_of(run, "deep.txt", misses)
    if deep:
        first, after, first_id = deep[0].split()
        ratio = float(after) / float(first)
        print(f"1,000,000 sessions, 20 a page, median of 20: first page {float(first):.2f} ms, "
              f"the page after a cursor near the end (from id {first_id}) {float(after):.2f} ms "
              f"= {ratio:.2f}x")
        if ratio > 2:
            misses.append(f"deep cursor page {ratio:.2f}x the first page (> 2x)")
    subscriptions(run, misses)
    print()
    if misses:
        print("targets missed:")
        for miss in misses:
            print(f"  - {miss}")
        sys.exit(1)
    print("every target met")


if __name__ == "__main__":
    main()
