"""Large metrics exports (issue 19: a day of 15-second points for 10,000 series is 57.6M points): how long
`postmortem ingest` takes per export format against DuckDB's bare read of the same file, and how long the JSON
report (which judges every series: queries/metric_changes.sql) takes on the loaded database.

The exports are written by DuckDB itself (fast, and nothing of ours): SERIES series of node_load, one point every
STEP seconds for HOURS hours, 10% of the series stepping up by 60% two thirds of the way through (at least 50
minutes in: a change to find), as Prometheus text with millisecond timestamps and as one Prometheus query_range
JSON document.

Usage:
  python bench/metrics.py [--series 1000] [--hours 24] [--step 15] [--runs 1] [--data bench/data/metrics]
Writes bench/results/metrics.json (appending a row per run of this script).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).parent))
from run import PY, measure, run_interleaved  # noqa: E402  (the same timing and memory accounting as run.py)

ROOT = Path(__file__).parent.parent
START = int(datetime(2026, 3, 14, tzinfo=UTC).timestamp())

POINTS = """
    select s, t, case when s % 10 = 0 and t >= $change_at then 0.56 else 0.35 end + (hash(s, t) % 1000) / 50000.0 as v
    from range($series) as a(s), range($start, $stop, $step) as b(t)
"""
TEXT = f"""
copy (
    select line from (
        select 0 as s, 0 as t, '# TYPE node_load gauge' as line
        union all
        select s, t, 'node_load{{instance="i-' || lpad(s::varchar, 6, '0') || '",job="node"}} ' || round(v, 5)::varchar
            || ' ' || (t * 1000)::varchar
        from ({POINTS})
    ) order by s, t
) to '__PATH__' (format csv, header false, quote '', escape '', delimiter '\x01')
"""
JSON = f"""
copy (
    select to_json({{'status': 'success', 'data': {{'resultType': 'matrix', 'result': list(series order by s)}}}})
        as doc
    from (
        select s, {{'metric': {{'__name__': 'node_load', 'instance': 'i-' || lpad(s::varchar, 6, '0'), 'job': 'node'}},
                    'values': list(json_array(t, round(v, 5)::varchar) order by t)}} as series
        from ({POINTS})
        group by s
    )
) to '__PATH__' (format csv, header false, quote '', escape '', delimiter '\x01')
"""
BARE = {
    "prometheus-text": "select count(*) from read_csv('{path}', columns={{'line':'VARCHAR'}}, delim='\\x01', quote='',"
    " escape='', header=false, auto_detect=false)",
    "prometheus-json": "select count(*) from (select unnest(cast(json->'$.data.result' as json[])) as s"
    " from read_json_objects('{path}', maximum_object_size=4000000000)), lateral (select unnest(cast(s->'$.values'"
    " as json[])))",
}


def change_at(hours: float) -> int:
    """When the planted step happens: two thirds of the way through, and never inside the first 45 minutes (without
    an incident a series' baseline is its first 45 minutes: docs/definitions.md)."""
    return START + max(int(hours * 2400), 50 * 60)


def write_exports(folder: Path, series: int, hours: float, step: int) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    stop = START + int(hours * 3600)
    params = {"series": series, "start": START, "stop": stop, "step": step, "change_at": change_at(hours)}
    paths = {"prometheus-text": folder / "node_load.prom", "prometheus-json": folder / "node_load.json"}
    with duckdb.connect() as con:
        for fmt, sql in (("prometheus-text", TEXT), ("prometheus-json", JSON)):
            if not paths[fmt].exists():
                started = time.perf_counter()
                con.execute(sql.replace("__PATH__", str(paths[fmt])), params)
                print(f"  wrote {paths[fmt]} in {time.perf_counter() - started:.1f} s", flush=True)
    return paths


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--step", type=int, default=15)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data" / "metrics")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "metrics.json")
    args = parser.parse_args(argv)
    points = args.series * int(args.hours * 3600 / args.step)
    folder = args.data / f"{args.series}x{args.hours:g}h-{args.step}s"
    print(f"{args.series:,} series x {args.hours:g} h at {args.step} s = {points:,} points", flush=True)
    paths = write_exports(folder, args.series, args.hours, args.step)
    row = {
        "series": args.series,
        "hours": args.hours,
        "step_s": args.step,
        "points": points,
        "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg()[0],  # the machine is shared: a busy one stretches every time
        "formats": {},
    }
    for fmt, path in paths.items():
        db = folder / f"{fmt}.duckdb"

        def ingest(_, db=db, path=path):
            for stale in (db, db.with_suffix(".tmp")):
                subprocess.run(["rm", "-rf", str(stale)], check=True)
            return measure([PY, "-m", "postmortem", "ingest", str(path), "--db", str(db)])

        def bare(_, fmt=fmt, path=path):
            return measure([PY, "-c", f"import duckdb; print(duckdb.sql({BARE[fmt].format(path=path)!r}).fetchall())"])

        timed = run_interleaved(args.runs, {"ingest": ingest, "bare_read": bare})
        report = run_interleaved(
            args.runs,
            {
                "report_json": lambda _, db=db: measure(
                    [
                        PY,
                        "-m",
                        "postmortem",
                        "report",
                        "--format",
                        "json",
                        "--db",
                        str(db),
                        "-o",
                        str(folder / "summary.json"),
                    ]
                )
            },
        )
        summary = json.loads((folder / "summary.json").read_text())
        with duckdb.connect(str(db), read_only=True) as con:
            loaded = con.sql("select count(*) from metric_points").fetchall()[0][0]
        row["formats"][fmt] = {
            "bytes": path.stat().st_size,
            "loaded": loaded,
            **timed,
            **report,
            "series_judged": len(summary["metrics"]),
            "series_changed": sum(m["changed_at"] is not None for m in summary["metrics"]),
        }
        f = row["formats"][fmt]
        print(
            f"  {fmt}: {path.stat().st_size / 2**20:,.0f} MiB, ingest {f['ingest']['s']:.1f} s"
            f" (bare read {f['bare_read']['s']:.1f} s), {loaded:,} points, report JSON {f['report_json']['s']:.1f} s,"
            f" {f['series_changed']:,} of {f['series_judged']:,} series changed,"
            f" peak {f['ingest']['peak_rss'] / 2**20:,.0f} MiB",
            flush=True,
        )
    row["load_average_after"] = os.getloadavg()[0]
    runs = json.loads(args.out.read_text()) if args.out.exists() else []
    args.out.write_text(json.dumps([*runs, {"measured_at": datetime.now(UTC).isoformat(), **row}], indent=2) + "\n")


if __name__ == "__main__":
    main()
