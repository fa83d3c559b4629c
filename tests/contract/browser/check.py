#!/usr/bin/env python3
"""Reads what the CORS page wrote into #result (Chromium --dump-dom output)
and checks it. Used by .ci/browser; standard library only.

  check.py show DOM                       print the page's JSON
  check.py allowed DOM EXPECT_JSON        the page on an allowed origin
  check.py refused DOM                    the page on an origin that is not allowed
  check.py headers FILE EXPECT_JSON       curl -D output against expectations

Prints one line per check; exits 1 if any failed.
"""
import html
import json
import re
import sys

failures = []


def check(ok, what, got=None):
    line = ("ok   " if ok else "FAIL ") + what
    if not ok and got is not None:
        line += f"  (got {got!r})"
    print("  " + line)
    if not ok:
        failures.append(what)


def page_result(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        dom = f.read()
    m = re.search(r'<pre id="result" data-state="([a-z]+)">(.*?)</pre>', dom, re.S)
    if not m:
        sys.exit(f"no #result in the dumped DOM ({path}); did the page load?\n{dom[:2000]}")
    state, text = m.group(1), html.unescape(m.group(2))
    if state != "done":
        sys.exit(f"the page did not finish (state {state!r}): {text[:2000]}")
    return json.loads(text)


def expect_readable(call, status):
    name = call["name"]
    check("error" not in call, f"{name}: fetch succeeded", call.get("error"))
    check(call.get("status") == status, f"{name}: status {status} readable", call.get("status"))
    check(call.get("type") == "cors", f"{name}: response type cors", call.get("type"))


def allowed(result, exp):
    calls = result["calls"]
    check(result["origin"] == exp["origin"], f"page origin is {exp['origin']}", result["origin"])

    c = calls["public_minutes"]
    expect_readable(c, 200)
    check(c.get("title") == exp["title"], f"public_minutes: title {exp['title']!r}", c.get("title"))
    check(c.get("minutes_status") == "published", "public_minutes: minutes_status published",
          c.get("minutes_status"))

    c = calls["list_meetings"]
    expect_readable(c, 200)
    check(c.get("has_minutes_meeting") is True, "list_meetings: lists the published meeting",
          c.get("has_minutes_meeting"))

    c = calls["patch_meeting"]
    expect_readable(c, 200)
    check(c["headers"].get("etag") == exp["etag_after"],
          f"patch_meeting: ETag {exp['etag_after']} readable (exposed)", c["headers"].get("etag"))
    check(c.get("location_field") == exp["location_field"], "patch_meeting: change applied",
          c.get("location_field"))

    c = calls["patch_stale"]
    expect_readable(c, 412)
    check(bool(c.get("problem")), "patch_stale: problem body readable", c.get("problem"))

    c = calls["create_meeting"]
    expect_readable(c, 201)
    loc = c["headers"].get("location")
    check(loc is not None and loc == f"/v1/meetings/{c.get('id')}",
          "create_meeting: Location readable (exposed)", loc)
    check(c["headers"].get("etag") == '"1"', 'create_meeting: ETag "1" readable',
          c["headers"].get("etag"))

    c2 = calls["create_meeting_replay"]
    expect_readable(c2, 201)
    check(c2["headers"].get("location") == loc and c2.get("id") == c.get("id"),
          "create_meeting_replay: same meeting (Idempotency-Key honoured)",
          (c2["headers"].get("location"), c2.get("id")))

    c = calls["list_without_token"]
    expect_readable(c, 401)


def refused(result):
    for name in ("public_minutes", "list_meetings", "patch_meeting"):
        c = result["calls"][name]
        err = c.get("error") or ""
        check(err.startswith("TypeError"), f"{name}: fetch throws TypeError", err or c.get("status"))
        check("status" not in c, f"{name}: no status visible to the page", c.get("status"))


def headers(path, exp):
    """exp: {"status": 200, "present": {name: substring...}, "absent": [name...],
    "no_prefix": "access-control-"}; names are case-insensitive."""
    with open(path, encoding="latin-1") as f:
        raw = f.read()
    # curl -D writes every response; with -L or 100-continue keep the last.
    block = [b for b in re.split(r"\r?\n\r?\n", raw.strip()) if b.strip()][-1]
    lines = block.splitlines()
    status = int(lines[0].split()[1])
    got = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            got.setdefault(k.strip().lower(), []).append(v.strip())
    label = exp.get("label", path)
    if "status" in exp:
        check(status == exp["status"], f"{label}: status {exp['status']}", status)
    for name, want in exp.get("present", {}).items():
        values = got.get(name.lower())
        value = ", ".join(values) if values else None
        if want is None or want == "":
            check(value is not None, f"{label}: {name} present", value)
        elif isinstance(want, list):
            have = {p.strip().lower() for p in (value or "").split(",")}
            missing = [w for w in want if w.lower() not in have]
            check(value is not None and not missing, f"{label}: {name} lists {', '.join(want)}", value)
        else:
            check(value == want, f"{label}: {name}: {want}", value)
    for name in exp.get("absent", []):
        check(name.lower() not in got, f"{label}: no {name}", got.get(name.lower()))
    prefix = exp.get("no_prefix")
    if prefix:
        extra = sorted(k for k in got if k.startswith(prefix))
        check(not extra, f"{label}: no {prefix}* header at all", extra)


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == "show":
        print(json.dumps(page_result(path), indent=1))
        return
    if cmd == "allowed":
        allowed(page_result(path), json.loads(sys.argv[3]))
    elif cmd == "refused":
        refused(page_result(path))
    elif cmd == "headers":
        headers(path, json.loads(sys.argv[3]))
    else:
        sys.exit(f"unknown command {cmd}")
    if failures:
        print(f"  {len(failures)} check(s) failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
