#!/usr/bin/env python3
"""Shared by the bench-*.sh scripts: paired timing and the one result table.

Every figure is one row: kyso's time, the peer's (a tool doing the same job, whose
output the bench checked before counting it), the floor (what the job costs at
least, e.g. reading and hashing the file), the ratio the target is about and the
verdict. Rows go to $KYSO_BENCH_ROWS (JSON lines; `./dev bench` sets it);
`benchlib.py table` prints them as one table and writes build-bench/bench.json
with the machine they ran on.

    benchlib.py add FIGURE KYSO_S [--peer NAME=S] [--floor NAME=S]
                    [--ratio peer|floor|NAME=S] [--target X] [--unit s|ms|MiB] [--note TEXT]
    benchlib.py table [JSON_OUT]
"""
import json
import os
import platform
import statistics
import subprocess
import sys
import time


def rows_path():
    return os.environ.get("KYSO_BENCH_ROWS") or os.path.join(
        os.environ.get("KYSO_BENCH_DIR") or os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "..", "..", "build-bench"),
        "bench-rows.jsonl")


def record(figure, kyso, peer=None, floor=None, ratio="peer", target=None, unit="s", note=""):
    """peer/floor: (name, value) or None. ratio: "peer", "floor" or (name, value), the
    denominator of the ratio compared with target (kyso / it <= target)."""
    den = {"peer": peer, "floor": floor}.get(ratio) if isinstance(ratio, str) else ratio
    r = kyso / den[1] if den and den[1] else None
    row = {"figure": figure, "unit": unit, "kyso": kyso,
           "peer": peer[0] if peer else None, "peer_value": peer[1] if peer else None,
           "floor": floor[0] if floor else None, "floor_value": floor[1] if floor else None,
           "ratio_to": den[0] if den else None, "ratio": r, "target": target,
           "ok": (r <= target) if (r is not None and target is not None) else None,
           "note": note, "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if target is not None and den is None:  # an absolute target (ms, MiB)
        row["ok"] = kyso <= target
    os.makedirs(os.path.dirname(rows_path()), exist_ok=True)
    with open(rows_path(), "a") as f:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return row


def run_timed(argv, out=None, env=None):
    """One run: (wall s, user+sys s, peak RSS MiB) of argv; out removed first and
    required afterwards. Exits on failure."""
    if out and os.path.exists(out):
        os.unlink(out)
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    dt = time.perf_counter() - t0
    if p.returncode != 0 or (out and not os.path.exists(out)):
        sys.exit("failed (%s): %s\n%s" % (p.returncode, " ".join(argv),
                                          p.stderr.decode(errors="replace")[-2000:]))
    return dt


def paired(cmds, runs, warmup=1):
    """cmds: {name: (argv, out or None)}; the commands take turns in every round (a busy
    machine slows them alike). Returns {name: median wall s}."""
    t = {k: [] for k in cmds}
    for i in range(warmup + runs):
        for k, (argv, out) in cmds.items():
            dt = run_timed(argv, out)
            if i >= warmup:
                t[k].append(dt)
    return {k: statistics.median(v) for k, v in t.items()}


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    try:
        with open("/proc/loadavg") as f:
            load = f.read().split()[0]
    except OSError:
        load = "?"
    return {"cpu": cpu, "cpus": os.cpu_count(), "kernel": platform.release(),
            "os": platform.platform(), "load_at_table": load}


def fmt(v, unit):
    if v is None:
        return "-"
    return "%.1f ms" % (v * 1000) if unit == "s" and v < 1 else "%.3f %s" % (v, unit) \
        if unit == "s" else "%.1f %s" % (v, unit)


def table(json_out=None):
    rows = []
    if os.path.exists(rows_path()):
        with open(rows_path()) as f:
            rows = [json.loads(l) for l in f if l.strip()]
    m = machine()
    hdr = ("figure", "kyso", "peer", "floor", "ratio", "target", "")
    lines = []
    for r in rows:
        peer = "%s %s" % (r["peer"], fmt(r["peer_value"], r["unit"])) if r["peer"] else "-"
        floor = "%s %s" % (r["floor"], fmt(r["floor_value"], r["unit"])) if r["floor"] else "-"
        ratio = "%.2fx %s" % (r["ratio"], r["ratio_to"]) if r["ratio"] is not None else "-"
        if r["target"] is None:
            target = "-"
        elif r["ratio"] is None:
            target = "<= %s" % fmt(r["target"], r["unit"])
        else:
            target = "<= %.2fx" % r["target"]
        ok = "" if r["ok"] is None else ("ok" if r["ok"] else "MISSED")
        lines.append((r["figure"], fmt(r["kyso"], r["unit"]), peer, floor, ratio, target, ok))
    w = [max([len(h)] + [len(l[i]) for l in lines]) for i, h in enumerate(hdr)]
    out = ["| " + " | ".join(h.ljust(w[i]) for i, h in enumerate(hdr)) + " |",
           "|" + "|".join("-" * (x + 2) for x in w) + "|"]
    out += ["| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(l)) + " |" for l in lines]
    print("\n".join(out))
    print("machine: %s, %s CPUs, Linux %s; load average %s when the table was printed"
          % (m["cpu"], m["cpus"], m["kernel"], m["load_at_table"]))
    if json_out:
        with open(json_out, "w") as f:
            json.dump({"machine": m, "rows": rows}, f, indent=1, ensure_ascii=False)
        print("written: %s" % json_out)
    return 0 if all(r["ok"] is not False for r in rows) else 1


def main(argv):
    if len(argv) >= 2 and argv[1] == "table":
        return table(argv[2] if len(argv) > 2 else None)
    if len(argv) >= 4 and argv[1] == "add":
        opts = {"--peer": None, "--floor": None, "--ratio": "peer", "--target": None,
                "--unit": "s", "--note": ""}
        rest = argv[4:]
        for i in range(0, len(rest) - 1, 2):
            if rest[i] not in opts:
                sys.exit("benchlib: unknown option %s" % rest[i])
            opts[rest[i]] = rest[i + 1]

        def pair(v):
            if v is None or "=" not in v:
                return v
            n, x = v.rsplit("=", 1)
            return (n, float(x))
        ratio = opts["--ratio"]
        if ratio not in ("peer", "floor"):
            ratio = pair(ratio)
        if opts["--peer"] is None and ratio == "peer":
            ratio = None
        record(argv[2], float(argv[3]), pair(opts["--peer"]), pair(opts["--floor"]), ratio,
               float(opts["--target"]) if opts["--target"] is not None else None,
               opts["--unit"], opts["--note"])
        return 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
