"""Prints the area of the largest signature-field widget of a PDF (qpdf --json): 0 = invisible.
Usage: sigwidget.py PDF"""
import json
import subprocess
import sys

doc = json.loads(subprocess.run(["qpdf", "--json", sys.argv[1]], capture_output=True, check=True).stdout)
best = [0.0]


def walk(v):
    if isinstance(v, dict):
        if v.get("/FT") == "/Sig" and isinstance(v.get("/Rect"), list):
            r = [float(x) for x in v["/Rect"]]
            best[0] = max(best[0], abs(r[2] - r[0]) * abs(r[3] - r[1]))
        for x in v.values():
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)


walk(doc)
print(int(best[0]))
