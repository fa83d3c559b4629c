#!/usr/bin/env python3
"""How far the property-based run reached: per operation of the document,
the cases Schemathesis sent and how many were answered 2xx (from the status
log the hooks write, CONTRACT_STATUS_LOG). Prints the table and the
operations no case reached with a 2xx; with the expectations file, fails when
one of them is not named there, in a comment line `# - METHOD PATH: reason`.

With `--role member` or `--role viewer` (the role runs) the table also counts
the refusals (403, 404), and only the operations the role may do
(tests/contract/roles.py) must have been answered 2xx.

    python3 .ci/reach.py openapi/openapi.json STATUS_LOG [schemathesis.toml] [--role ROLE]
"""

import json
import os
import re
import sys
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "contract"))
from roles import may  # noqa: E402


def main() -> None:
    args = sys.argv[1:]
    role = None
    if "--role" in args:
        at = args.index("--role")
        role = args[at + 1]
        del args[at : at + 2]
    document, log = args[0], args[1]
    expectations = args[2] if len(args) > 2 else None
    with open(document, encoding="utf-8") as f:
        paths = json.load(f)["paths"]
    operations = [
        (method.upper(), path)
        for path, item in paths.items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]
    sent, ok, refused = Counter(), Counter(), Counter()
    with open(log, encoding="utf-8") as f:
        for line in f:
            method, path, status = line.split()
            sent[(method, path)] += 1
            if status.startswith("2"):
                ok[(method, path)] += 1
            elif status in ("403", "404"):
                refused[(method, path)] += 1
    width = max(len(f"{m} {p}") for m, p in operations)
    print(f"{'operation':<{width}}  cases    2xx" + ("  403/404" if role else ""))
    for method, path in sorted(operations, key=lambda o: (o[1], o[0])):
        line = f"{method + ' ' + path:<{width}}  {sent[(method, path)]:>5}  {ok[(method, path)]:>5}"
        if role:
            line += f"  {refused[(method, path)]:>7}" + ("" if may(role, method, path) else "  (may not)")
        print(line)
    owed = [o for o in operations if role is None or may(role, *o)]
    unreached = [f"{m} {p}" for m, p in owed if ok[(m, p)] == 0]
    who = f" by a {role}" if role else ""
    print(f"reached with a 2xx{who}: {len(owed) - len(unreached)} of the {len(owed)} operations it may do")
    named = set()
    if expectations:
        with open(expectations, encoding="utf-8") as f:
            named = set(re.findall(r"^# - ([A-Z]+ \S+): ", f.read(), re.M))
    for name in unreached:
        print(f"  not reached: {name}" + (" (named in the expectations)" if name in named else ""))
    if expectations and set(unreached) - named:
        sys.exit("reach: operations never answered 2xx and not named with a reason in " + expectations)


if __name__ == "__main__":
    main()
