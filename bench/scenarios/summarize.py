#!/usr/bin/python3
"""Turns the JSON lines the scenarios wrote into the Markdown tables of docs/bench/README.md, with
ratios Herald / peer measured in the same run (absolute numbers on a shared machine are noise; ratios
from one run are what the targets are stated in).

  summarize.py DIR            print every table for DIR/*.jsonl
  summarize.py --check DIR    exit 1 unless every run completed and produced numbers (CI smoke test;
                              never a timing threshold)

Standard library only; run with /usr/bin/python3.
"""
import json
import os
import sys

SCENARIOS = ["fanout", "filtered", "idle", "storm", "slow", "catchup", "latency"]


def load(path):
    runs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                runs.append(json.loads(line))
    return runs


def target_of(run):
    return run["label"].split()[0]


def ratio(a, b, better="higher"):
    if not a or not b:
        return "n/a"
    return f"{a / b:.2f}x"


def fmt(v, digits=0):
    if v is None:
        return "n/a"
    if isinstance(v, float) and digits:
        return f"{v:,.{digits}f}"
    return f"{v:,.0f}"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out)


def by_target(runs, key=lambda r: None):
    out = {}
    for r in runs:
        out.setdefault((target_of(r), key(r)), r)
    return out


def peers_ratio_rows(runs, metric, label, key=lambda r: None, invert=False):
    """One row per key: Herald / nats and Herald / ws of `metric` (invert: peer / Herald, for costs)."""
    t = by_target(runs, key)
    keys = sorted({k for (_, k) in t}, key=lambda k: (k is None, k))
    rows = []
    for k in keys:
        h = t.get(("herald", k))
        row = [label if k is None else f"{label} ({k})"]
        for peer in ("nats", "ws"):
            p = t.get((peer, k))
            if h is None or p is None:
                row.append("n/a")
                continue
            hv, pv = metric(h), metric(p)
            row.append(ratio(pv, hv) if invert else ratio(hv, pv))
        rows.append(row)
    return rows


def s_fanout(runs, title="(a) fan-out, one topic, max sustainable rate"):
    rows = []
    for r in runs:
        c, d, l, s, cl = r["config"], r["delivery"], r["latency_us"], r["server"], r["client"]
        rows.append([r["label"], c["connections"], fmt(r["publish"]["events_per_second"]), fmt(d["per_second"]),
                     f'{d["delivered"]:,}/{d["expected"]:,}', fmt(s.get("cpu_seconds_publish"), 2),
                     fmt(s.get("deliveries_per_cpu_second")), fmt(l["p50"]), fmt(l["p99"]),
                     fmt(cl["cpu_ns_per_delivery"]), r["machine"]["loadavg_start"].split()[0]])
    out = [f"### {title}", "", table(
        ["run", "conns", "events/s", "deliveries/s", "delivered/expected", "server CPU s",
         "deliveries per server CPU s", "p50 us", "p99 us", "client ns/delivery", "load"], rows), ""]
    out.append(table(["Herald / peer", "vs NATS", "vs ws"],
                     peers_ratio_rows(runs, lambda r: r["server"].get("deliveries_per_cpu_second"),
                                      "deliveries per server CPU s", key=lambda r: r["config"]["connections"])))
    return "\n".join(out)


def s_filtered(runs, fanout_runs):
    out = [s_fanout(runs, "(b) filtered fan-out, 100 connections per value, max sustainable rate")]
    if fanout_runs:
        fan = by_target(fanout_runs, lambda r: r["config"]["connections"])
        rows = []
        for r in runs:
            f = fan.get((target_of(r), r["config"]["connections"]))
            if not f:
                continue
            cost_b = 1 / r["server"]["deliveries_per_cpu_second"] if r["server"].get("deliveries_per_cpu_second") else None
            cost_a = 1 / f["server"]["deliveries_per_cpu_second"] if f["server"].get("deliveries_per_cpu_second") else None
            rows.append([r["label"], f'{cost_b * 1e9:,.0f}' if cost_b else "n/a",
                         f'{cost_a * 1e9:,.0f}' if cost_a else "n/a", ratio(cost_b, cost_a)])
        out += ["", table(["run", "server CPU ns per delivery (b)", "(a) same size", "(b) / (a)"], rows)]
    return "\n".join(out)


def s_idle(runs):
    rows = []
    for r in runs:
        c, s = r["connect"], r["server"]
        rows.append([r["label"], f'{c["subscribed"]:,}', fmt(c["per_second"]), fmt(s.get("rss_kib_start")),
                     fmt(s.get("rss_kib_subscribed")), fmt(s.get("rss_bytes_per_connection")),
                     fmt(s.get("rss_anon_bytes_per_connection")), fmt(s.get("cpu_us_per_connection"), 1)])
    out = ["### (c) idle memory, one subscription per connection", "", table(
        ["run", "subscribed", "connects/s", "RSS KiB before", "RSS KiB after", "RSS B/conn", "anon B/conn",
         "server CPU us/connect"], rows), ""]
    out.append(table(["Herald / peer (lower is better for Herald)", "vs NATS", "vs ws"],
                     peers_ratio_rows(runs, lambda r: r["server"].get("rss_bytes_per_connection"), "RSS per connection")))
    return "\n".join(out)


def s_storm(runs):
    t = {}
    for r in runs:
        t[(target_of(r), r["label"].split()[-1])] = r
    rows = []
    for target in ("herald", "nats", "ws"):
        base, during, storm = (t.get((target, k)) for k in ("baseline", "subscribers", "connects"))
        if not storm:
            continue
        rows.append([target, f'{storm["connect"]["connected"]:,}', fmt(storm["connect"]["per_second"]),
                     fmt(base["latency_us"]["p99"]) if base else "n/a",
                     fmt(during["latency_us"]["p99"]) if during else "n/a",
                     f'{during["delivery"]["delivered"]:,}/{during["delivery"]["expected"]:,}' if during else "n/a"])
    return "\n".join(["### (d) connection storm", "", table(
        ["server", "storm connections", "connects/s", "subscribers p99 us, no storm", "p99 us during storm",
         "subscribers delivered/expected"], rows)])


def s_slow(runs):
    rows = []
    for r in runs:
        s, l = r["server"], r["latency_us"]
        rows.append([r["label"], r["config"]["connections"], r["config"]["stalled"], fmt(s.get("rss_kib_publish_start")),
                     fmt(s.get("rss_kib_max")), fmt(s.get("rss_kib_end")), fmt(l["p50"]), fmt(l["p99"]),
                     f'{r["delivery"]["delivered"]:,}/{r["delivery"]["expected"]:,}'])
    return "\n".join(["### (e) slow consumers", "", table(
        ["run", "conns", "stalled", "RSS KiB at start", "RSS KiB max", "RSS KiB end", "fast p50 us", "fast p99 us",
         "fast delivered/expected"], rows)])


def s_catchup(runs):
    rows = []
    for r in runs:
        k = r.get("catchup", {})
        rows.append([r["label"], fmt(k.get("events")), fmt(k.get("preload_seconds"), 2),
                     f'{k.get("connections_reached", 0)}/{r["config"]["connections"]}', fmt(k.get("seconds_max"), 3)])
    return "\n".join(["### (f) catch-up", "", table(
        ["run", "events behind", "preload s", "clients caught up", "seconds to reach live"], rows)])


def s_latency(runs):
    rows = []
    for r in runs:
        l, d = r["latency_us"], r["delivery"]
        rows.append([r["label"], r["config"]["connections"], fmt(l["p50"]), fmt(l["p90"]), fmt(l["p99"]),
                     fmt(l["p999"]), fmt(l["max"]), f'{d["delivered"]:,}/{d["expected"]:,}'])
    out = ["### latency: light load (5 events/s) and bursts (2,000 events at once), 1,000 clients", "",
           table(["run", "conns", "p50 us", "p90 us", "p99 us", "p99.9 us", "max us", "delivered/expected"], rows), ""]
    ratio_rows = []
    for kind in ("light", "burst"):
        sub = [r for r in runs if r["label"].endswith(kind)]
        for q in ("p50", "p99"):
            ratio_rows += peers_ratio_rows(sub, lambda r, q=q: r["latency_us"][q], f"{kind} {q} (lower is better)")
    out.append(table(["Herald / peer", "vs NATS", "vs ws"], ratio_rows))
    return "\n".join(out)


def check(directory):
    problems = []
    seen = 0
    for name in SCENARIOS:
        path = os.path.join(directory, name + ".jsonl")
        if not os.path.exists(path):
            continue
        for r in load(path):
            seen += 1
            where = f'{name}: {r.get("label")}'
            if r["connect"]["subscribed"] <= 0:
                problems.append(f"{where}: no connection subscribed ({r['connect']['first_error']})")
            if r["config"]["publisher"] != "none" or r["config"]["preload"]:
                if r["delivery"]["delivered"] <= 0 and not r.get("catchup"):
                    problems.append(f"{where}: nothing delivered ({r['publish']['error']})")
                if r["latency_us"]["count"] <= 0:
                    problems.append(f"{where}: no latency samples")
                if r["publish"]["error"]:
                    problems.append(f"{where}: publish error {r['publish']['error']}")
            if r.get("catchup") and r["catchup"]["connections_reached"] <= 0:
                problems.append(f"{where}: the catch-up client never caught up")
            s = r["server"]
            if "rss_kib_subscribed" not in s or not s["rss_kib_subscribed"]:
                problems.append(f"{where}: no server numbers from /proc")
    failures = os.path.join(directory, "failures")
    if os.path.exists(failures):
        problems += [f"{line.strip()}: herald-bench failed" for line in open(failures) if line.strip()]
    if seen == 0:
        problems.append(f"no results in {directory}")
    for p in problems:
        print("FAIL", p)
    print(f"checked {seen} runs: {'ok' if not problems else str(len(problems)) + ' problems'}")
    return 1 if problems else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--check":
        return check(argv[2])
    if len(argv) != 2:
        print(__doc__)
        return 2
    d = argv[1]
    files = {n: load(os.path.join(d, n + ".jsonl")) for n in SCENARIOS if os.path.exists(os.path.join(d, n + ".jsonl"))}
    parts = []
    if "fanout" in files:
        parts.append(s_fanout(files["fanout"]))
    if "filtered" in files:
        parts.append(s_filtered(files["filtered"], files.get("fanout")))
    for name, fn in (("idle", s_idle), ("storm", s_storm), ("slow", s_slow), ("catchup", s_catchup),
                     ("latency", s_latency)):
        if name in files:
            parts.append(fn(files[name]))
    print("\n\n".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
