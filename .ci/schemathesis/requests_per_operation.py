"""Counts, from Parley's /metrics after a schemathesis run, the requests each documented operation
served, and fails if one got fewer than MINIMUM or if any request anywhere answered 5xx.
Usage: requests_per_operation.py OPENAPI_URL METRICS_URL MINIMUM"""

import collections
import json
import re
import sys
import urllib.request

openapi_url, metrics_url, minimum = sys.argv[1], sys.argv[2], int(sys.argv[3])
document = json.load(urllib.request.urlopen(openapi_url))
operations = {
    (method.upper(), path)
    for path, item in document["paths"].items()
    for method in item
    if method in ("get", "put", "post", "delete", "patch")
}

served = collections.Counter()
server_errors = []
series = re.compile(r'^parley_http_requests_total\{method="([A-Z]+)",route="([^"]*)",status="(\d+)"\} (\d+)')
for line in urllib.request.urlopen(metrics_url).read().decode().splitlines():
    match = series.match(line)
    if not match:
        continue
    method, route, status, count = match.groups()
    served[(method, route)] += int(count)
    if status.startswith("5"):
        server_errors.append(line)

counts = sorted((served[operation], *operation) for operation in operations)
for count, method, path in counts:
    print(f"{count:6d}  {method} {path}")
print(
    f"{len(counts)} operations, {sum(c for c, _, _ in counts)} requests, "
    f"fewest {counts[0][0]} ({counts[0][1]} {counts[0][2]}), 5xx answers: {len(server_errors)}"
)
failed = False
for line in server_errors:
    print(f"5xx: {line}")
    failed = True
short = [f"{method} {path}" for count, method, path in counts if count < minimum]
if short:
    print(f"fewer than {minimum} requests: {', '.join(short)}")
    failed = True
sys.exit(1 if failed else 0)
