#!/usr/bin/env python3
"""Copies the benchmark data set from Parley's PostgreSQL database into a Parley SQLite database
(both migrated, by Parley itself), so both backends serve the very same rows.

usage: seed_sqlite.py SQLITE_FILE POSTGRES_URL
"""
import csv
import io
import sqlite3
import subprocess
import sys
import uuid

TABLES = ["character", "user_profile", "ai_model", "system_prompt", "chat_session", "message"]


def pg_expression(column, declared):
    declared = declared.lower()
    if declared.startswith("timestamp"):
        # The text form Parley itself writes on SQLite (RFC 3339, microseconds, +00:00).
        return (f"to_char({column} AT TIME ZONE 'UTC', "
                f"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')")
    if declared == "boolean":
        return f"{column}::int"
    return f"{column}::text"


def main():
    sqlite_file, postgres_url = sys.argv[1], sys.argv[2]
    db = sqlite3.connect(sqlite_file)
    db.execute("PRAGMA foreign_keys = OFF")
    for table in reversed(TABLES):
        db.execute(f'DELETE FROM "{table}"')
    for table in TABLES:
        columns = [(row[1], row[2]) for row in db.execute(f'PRAGMA table_info("{table}")')]
        # Columns PostgreSQL computes (message.search) are not SQLite's.
        select = ", ".join(pg_expression(f'"{name}"', declared) for name, declared in columns)
        copy = f'COPY (SELECT {select} FROM "{table}" ORDER BY id) TO STDOUT WITH (FORMAT csv)'
        out = subprocess.run(["psql", "-X", "-q", postgres_url, "-c", copy],
                             check=True, capture_output=True, text=True).stdout
        # sqlx stores a UUID on SQLite as its 16 bytes.
        uuid_columns = {i for i, (_, declared) in enumerate(columns) if declared.lower().startswith("uuid")}
        rows = [[None if value == "" else uuid.UUID(value).bytes if i in uuid_columns else value
                 for i, value in enumerate(row)]
                for row in csv.reader(io.StringIO(out))]
        names = ", ".join(f'"{name}"' for name, _ in columns)
        marks = ", ".join("?" for _ in columns)
        db.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
        print(f"  {table}: {len(rows)} rows", file=sys.stderr)
    db.commit()
    db.execute("ANALYZE")
    db.close()


if __name__ == "__main__":
    main()
