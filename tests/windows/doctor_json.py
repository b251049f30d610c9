#!/usr/bin/env python3
"""Assertions on kyso.exe doctor/reports JSON for tests/windows/test_wine.sh.

    doctor_json.py order|pcsc|na|module|summary FILE   (exit 0 = holds)
"""
import json
import sys

ORDER = ["system", "pcsc-service", "readers", "token-present", "usb-device",
         "catalog-match", "driver-module", "module-registered", "token-state",
         "cert-present", "cert-key-pair", "cert-validity", "cert-chain",
         "cert-revocation", "clock-skew", "tsa", "agent", "browsers", "test-signature"]


def checks(d):
    return {c["id"]: c for c in d["checks"]}


def main():
    what, path = sys.argv[1], sys.argv[2]
    d = json.load(open(path, encoding="utf-8"))
    if what == "order":
        ids = [c["id"] for c in d["checks"]]
        ok = ids == ORDER and d["os"]["name"] == "Windows" and d["summary"]["result"] == "fail"
        if not ok:
            print("ids:", ids, "os:", d.get("os"), "summary:", d.get("summary"))
        return ok
    if what == "pcsc":
        failing = [c for c in d["checks"] if c["status"] == "fail"]
        first = failing[0] if failing else {}
        return (first.get("id") == "pcsc-service"
                and "Smart Card" in first["detail"]
                and "sc start SCardSvr" in first["remedy"]
                and "services.msc" in first["remedy"]
                and d["summary"]["problems"][0] == "pcsc-service")
    if what == "na":
        c = checks(d)["module-registered"]
        return c["status"] == "skip" and "Windows" in c["detail"]
    if what == "module":
        c = checks(d)
        m, t = c["driver-module"], c["token-state"]
        return (m["status"] == "pass" and m["data"]["found_by"] == "option"
                and "libsofthsm2.dll" in m["data"]["module"]
                and t["status"] == "pass" and c["cert-present"]["status"] == "pass"
                and c["pcsc-service"]["status"] == "fail")
    if what == "summary":
        return (d["total"] == 2 and d["by_failing_check"].get("pcsc-service") == 2
                and all(k.startswith("Windows") for k in d["by_os"]))
    raise SystemExit("unknown assertion " + what)


sys.exit(0 if main() else 1)
