#!/usr/bin/env python3
"""How far the property-based run reached: per operation of the document,
the cases Schemathesis sent and how many were answered 2xx (from the status
log the hooks write, CONTRACT_STATUS_LOG). Prints the table and the
operations no case reached with a 2xx; with the expectations file, fails when
one of them is not named there, in a comment line `# - METHOD PATH: reason`.

    python3 .ci/reach.py openapi/openapi.json STATUS_LOG [schemathesis.toml]
"""

import json
import re
import sys
from collections import Counter


def main() -> None:
    document, log = sys.argv[1], sys.argv[2]
    with open(document, encoding="utf-8") as f:
        paths = json.load(f)["paths"]
    operations = [
        (method.upper(), path)
        for path, item in paths.items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]
    sent, ok = Counter(), Counter()
    with open(log, encoding="utf-8") as f:
        for line in f:
            method, path, status = line.split()
            sent[(method, path)] += 1
            if status.strip().startswith("2"):
                ok[(method, path)] += 1
    width = max(len(f"{m} {p}") for m, p in operations)
    print(f"{'operation':<{width}}  cases    2xx")
    for method, path in sorted(operations, key=lambda o: (o[1], o[0])):
        name = f"{method} {path}"
        print(f"{name:<{width}}  {sent[(method, path)]:>5}  {ok[(method, path)]:>5}")
    unreached = [f"{m} {p}" for m, p in operations if ok[(m, p)] == 0]
    print(f"reached with a 2xx: {len(operations) - len(unreached)} of {len(operations)} operations")
    named = set()
    if len(sys.argv) > 3:
        with open(sys.argv[3], encoding="utf-8") as f:
            named = set(re.findall(r"^# - ([A-Z]+ \S+): ", f.read(), re.M))
    for name in unreached:
        print(f"  not reached: {name}" + (" (named in the expectations)" if name in named else ""))
    if len(sys.argv) > 3 and set(unreached) - named:
        sys.exit("reach: operations never answered 2xx and not named with a reason in " + sys.argv[3])


if __name__ == "__main__":
    main()
