#!/usr/bin/env python3
"""Generated kyso doctor reports for the collector tests and benchmark.
Usage: reports_gen.py N OUTDIR SEED [zip]   N reports (JSON, or bundle zips holding
report.json), deterministic for a seed, created over the last 20 days."""
import datetime
import json
import os
import random
import sys
import zipfile

n, out, seed = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
as_zip = len(sys.argv) > 4 and sys.argv[4] == "zip"
rnd = random.Random(seed)
os.makedirs(out, exist_ok=True)
checks = ["pcsc-service","readers","token-present","module-loadable","cert-validity","agent","tsa","clock-skew"]
now = datetime.datetime.now(datetime.timezone.utc)
for i in range(n):
    created = now - datetime.timedelta(days=rnd.randrange(0, 20), seconds=rnd.randrange(0, 3600))
    cs = []
    for c in checks:
        r = rnd.random()
        cs.append({"id": c, "status": "fail" if r < .15 else "warn" if r < .25 else "pass"})
    rep = {"kind":"kyso-doctor-report","schema":1,"id":"%08x-%04d-gen" % (seed, i),
           "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
           "kyso_version": rnd.choice(["0.1.0","0.2.0"]),
           "os":{"name":rnd.choice(["Debian GNU/Linux","Windows"]),"release":rnd.choice(["12","11"])},
           "token":{"type":rnd.choice(["feitian-epass2003","bit4id","vnpt-ca"])},
           "org": rnd.choice(["So Tai chinh","UBND Huyen A","Ban Quan ly"]),
           "summary":{"result": "fail" if any(c["status"]=="fail" for c in cs) else "pass"},
           "checks": cs}
    if as_zip:
        with zipfile.ZipFile(os.path.join(out, rep["id"] + ".zip"), "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("report.json", json.dumps(rep))
            z.writestr("report.txt", "generated report %d\n" % i)
    else:
        with open(os.path.join(out, rep["id"] + ".json"), "w", encoding="utf-8") as f:
            json.dump(rep, f)
