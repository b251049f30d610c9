#!/usr/bin/env python3
"""What a summary of generated reports must say, computed independently of kyso.
Usage: reports_expect.py DIR DAYS [token_type]   prints the expected summary subset as JSON."""
import datetime
import glob
import json
import sys
import zipfile

d, days = sys.argv[1], int(sys.argv[2])
tok = sys.argv[3] if len(sys.argv) > 3 else None
today = datetime.datetime.now(datetime.timezone.utc).date()
since = (today - datetime.timedelta(days=days - 1)).isoformat() if days > 0 else "0000"


def load(p):
    if p.endswith(".zip"):
        with zipfile.ZipFile(p) as z:
            return json.loads(z.read("report.json"))
    with open(p, encoding="utf-8") as f:
        return json.load(f)


def ordered(c):
    return dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))


tot, fail, warn, types, orgs, by_day, fresh = 0, {}, {}, {}, {}, {}, {}
for p in sorted(glob.glob(d + "/*.json") + glob.glob(d + "/*.zip")):
    r = load(p)
    day = r["created"][:10]
    if day < since or (tok and r["token"]["type"] != tok):
        continue
    tot += 1
    by_day[day] = by_day.get(day, 0) + 1
    types[r["token"]["type"]] = types.get(r["token"]["type"], 0) + 1
    orgs[r["org"]] = orgs.get(r["org"], 0) + 1
    for c in r["checks"]:
        if c["status"] == "fail":
            fail[c["id"]] = fail.get(c["id"], 0) + 1
            if day == today.isoformat():
                fresh[c["id"]] = fresh.get(c["id"], 0) + 1
        elif c["status"] == "warn":
            warn[c["id"]] = warn.get(c["id"], 0) + 1
print(json.dumps({"total": tot, "by_failing_check": ordered(fail), "by_warning_check": ordered(warn),
                  "by_token_type": ordered(types), "by_org": ordered(orgs),
                  "by_day": dict(sorted(by_day.items())), "new_since_yesterday": ordered(fresh)}))
