"""Full-scale benchmark: simulate the incident at several sizes, then time and measure every command.

For each scale (1.0 = 600,000 listeners in the failed room, the replacement at 4.3x) it prints and writes
(bench/results/*.json and .md) the rows and bytes per log kind; `postmortem ingest` wall time and rows/s;
DuckDB's bare `CREATE TABLE ... AS SELECT * FROM read_json/read_csv(...)` of the same files with no validation
(the engine's own limit) and the speed ratio ours/bare; `postmortem report` wall time for HTML and JSON; peak
resident memory of each command as the OS measured it (wait4's ru_maxrss of the child); the database and
HTML sizes. Every timing is the median of --runs runs, each in a fresh process (ingest into a fresh file).

Usage: python bench/run.py [--scales 0.25 0.5 1] [--runs 3] [--data bench/data] [--out bench/results]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FULL_SCALE_LISTENERS = 600_000
ROOT = Path(__file__).resolve().parent.parent
BARE_LOAD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], config={"threads": int(sys.argv[2]), "memory_limit": sys.argv[3]})
for i, path in enumerate(sys.argv[4:]):
    if ".csv" in path:
        source = "read_csv($p, header=true, all_varchar=true, ignore_errors=true)"
    else:
        source = "read_json($p, format='newline_delimited', ignore_errors=true)"
    con.execute(f"create table t{i} as select * from {source}", {"p": path})
"""


def measure(cmd: list[str], env: dict | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one child process; raises if it fails."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{stderr}")
    return elapsed, usage.ru_maxrss * 1024  # Linux reports KiB


def count_lines(path: Path) -> int:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b""))


def median_of(runs: int, make_cmd) -> tuple[float, int]:
    samples = [make_cmd(i) for i in range(runs)]
    return statistics.median(s[0] for s in samples), max(s[1] for s in samples)


def bench_scale(scale: float, runs: int, data: Path, threads: int, memory: str) -> dict:
    listeners = max(10, round(FULL_SCALE_LISTENERS * scale))
    logs = data / f"scale-{scale:g}"
    if not (logs / ".truth.json").exists():
        print(f"simulating {listeners:,} listeners into {logs} ...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "postmortem", "simulate", str(logs), "--listeners", str(listeners)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    files = sorted(p for p in logs.iterdir() if not p.name.startswith("."))
    kinds = {p.name.split(".")[0]: {"file": p.name, "bytes": p.stat().st_size, "lines": count_lines(p)} for p in files}
    limits = ["--threads", str(threads), "--memory-limit", memory]
    with tempfile.TemporaryDirectory(dir=data) as tmp:
        work = Path(tmp)

        def ingest(i):
            return measure(
                [sys.executable, "-m", "postmortem", "ingest", str(logs), "--db", str(work / f"i{i}.duckdb"), *limits]
            )

        def bare(i):
            return measure(
                [sys.executable, "-c", BARE_LOAD, str(work / f"b{i}.duckdb"), str(threads), memory, *map(str, files)]
            )

        ingest_s, ingest_rss = median_of(runs, ingest)
        bare_s, bare_rss = median_of(runs, bare)
        database = work / "i0.duckdb"
        html, summary = work / "r.html", work / "r.json"

        def report_html(i):
            return measure(
                [sys.executable, "-m", "postmortem", "report", "--db", str(database), "-o", str(html), *limits]
            )

        def report_json(i):
            return measure(
                [
                    sys.executable,
                    "-m",
                    "postmortem",
                    "report",
                    "--format",
                    "json",
                    "--db",
                    str(database),
                    "-o",
                    str(summary),
                    *limits,
                ]
            )

        html_s, html_rss = median_of(runs, report_html)
        json_s, json_rss = median_of(runs, report_json)
        facts = json.loads(summary.read_text())
        rows = sum(k["lines"] for k in kinds.values())
        return {
            "scale": scale,
            "listeners": listeners,
            "kinds": kinds,
            "rows": rows,
            "bytes": sum(k["bytes"] for k in kinds.values()),
            "ingest_s": ingest_s,
            "ingest_rows_per_s": rows / ingest_s,
            "ingest_peak_rss": ingest_rss,
            "bare_s": bare_s,
            "bare_peak_rss": bare_rss,
            "speed_ratio": bare_s / ingest_s,
            "report_html_s": html_s,
            "report_html_peak_rss": html_rss,
            "report_json_s": json_s,
            "report_json_peak_rss": json_rss,
            "db_bytes": sum(p.stat().st_size for p in work.glob("i0.duckdb*")),
            "html_bytes": html.stat().st_size,
            "incident": facts["incident"]["space_id"] if facts["incident"] else None,
            "follow_rate": (facts["switchover"] or {}).get("follow_rate"),
        }


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def markdown(results: list[dict], meta: dict) -> str:
    head = [
        "scale",
        "listeners",
        "rows",
        "input",
        "ingest",
        "rows/s",
        "bare load",
        "ours/bare speed",
        "ingest RSS",
        "report html",
        "html RSS",
        "report json",
        "json RSS",
        "db size",
        "html size",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for r in results:
        lines.append(
            "| "
            + " | ".join(
                [
                    f"{r['scale']:g}x",
                    f"{r['listeners']:,}",
                    f"{r['rows']:,}",
                    mib(r["bytes"]),
                    f"{r['ingest_s']:.2f} s",
                    f"{r['ingest_rows_per_s']:,.0f}",
                    f"{r['bare_s']:.2f} s",
                    f"{r['speed_ratio']:.2f}",
                    mib(r["ingest_peak_rss"]),
                    f"{r['report_html_s']:.2f} s",
                    mib(r["report_html_peak_rss"]),
                    f"{r['report_json_s']:.2f} s",
                    mib(r["report_json_peak_rss"]),
                    mib(r["db_bytes"]),
                    f"{r['html_bytes'] / 2**20:.2f} MiB",
                ]
            )
            + " |"
        )
    kinds = [
        "",
        "| scale | " + " | ".join(f"{k} rows | {k} bytes" for k in ("join", "error", "glitch")) + " |",
        "|" + " --- |" * 7,
    ]
    for r in results:
        kinds.append(
            f"| {r['scale']:g}x | "
            + " | ".join(
                f"{r['kinds'][k]['lines']:,} | {mib(r['kinds'][k]['bytes'])}" for k in ("join", "error", "glitch")
            )
            + " |"
        )
    growth = []
    if len(results) > 1:
        small, big = results[0], results[-1]
        factor = big["scale"] / small["scale"]
        growth = [
            "",
            f"Growth from {small['scale']:g}x to {big['scale']:g}x ({factor:g}x the data): ingest "
            f"{big['ingest_s'] / small['ingest_s']:.2f}x, "
            f"report html {big['report_html_s'] / small['report_html_s']:.2f}x, "
            f"report json {big['report_json_s'] / small['report_json_s']:.2f}x.",
        ]
    note = [
        f"Median of {meta['runs']} runs per figure; threads={meta['threads']}, memory limit {meta['memory']}; "
        f"{meta['cpus']} CPUs; peak RSS is the largest of the runs."
    ]
    return "\n".join(lines + kinds + growth + ["", *note]) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="1GB")
    args = parser.parse_args(argv)
    args.data.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    meta = {"runs": args.runs, "threads": args.threads, "memory": args.memory_limit, "cpus": os.cpu_count()}
    results = []
    for scale in sorted(args.scales):
        print(f"scale {scale:g}x ...", flush=True)
        results.append(bench_scale(scale, args.runs, args.data, args.threads, args.memory_limit))
    table = markdown(results, meta)
    (args.out / "results.json").write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
    (args.out / "results.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
