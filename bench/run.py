"""Full-scale benchmark: simulate the incident at several sizes, then time and measure every command.

For each scale (1.0 = 600,000 listeners in the failed room, the replacement at 4.3x):
- three input sets of the same records: "jsonl" (the simulator's own files: join log plain JSONL, glitch log
  gzipped JSONL, error log CSV), "csv" (join log as plain CSV, glitch log as gzipped CSV) and "csv.gz" (join
  log as gzipped CSV, glitch log as gzipped CSV); the CSV files are written once by DuckDB itself
  (`COPY (SELECT * FROM read_json(...)) TO ... (HEADER, COMPRESSION gzip)`, every field as text);
- per set: `postmortem ingest` of the whole set, DuckDB's bare `CREATE TABLE t AS SELECT * FROM
  read_json/read_csv(...)` of the same files in one process (no validation, the engine's own limit), the speed
  ratio bare/ours, and polars `scan_ndjson`/`scan_csv` -> `sink_parquet` of the same files (a peer);
- per file (each alone, fresh process): the same three, so the ratio can be given per format (jsonl,
  jsonl.gz, csv, csv.gz; the formats of the join and glitch logs, which is where the bytes are);
- `postmortem report` HTML and JSON on the "jsonl" database, and one profiled HTML report: a child process
  wraps `postmortem.queries.run`, the schema scripts (statement by statement) and the report's stages with
  timers, so the results say where each second goes (self time: a stage's time minus what it called);
- lnav (when installed) counting error lines per minute on the error file, headless, checked against the
  same count made by DuckDB; DuckDB's bare count of the same, for scale;
- peak resident memory of every command as the OS measured it (wait4's ru_maxrss of the child).
Every timing is the median of --runs runs, each in a fresh process (ingest into a fresh file); the tools are
interleaved run by run so a busy neighbour hurts them alike.

Usage:
  python bench/run.py [--scales 0.25 0.5 1] [--runs 3] [--data bench/data] [--out bench/results]
                      [--markdown bench/RESULTS-tables.md]
  python bench/run.py --from-json bench/results/results.json --markdown bench/RESULTS-tables.md
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FULL_SCALE_LISTENERS = 600_000
ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

# file name -> (log kind, format, the simulator file it is converted from or None, compression)
FILES = {
    "join.jsonl": ("join", "jsonl", None, None),
    "glitch.jsonl.gz": ("glitch", "jsonl.gz", None, None),
    "error.csv": ("error", "csv", None, None),
    "join.csv": ("join", "csv", "join.jsonl", None),
    "join.csv.gz": ("join", "csv.gz", "join.jsonl", "gzip"),
    "glitch.csv.gz": ("glitch", "csv.gz", "glitch.jsonl.gz", "gzip"),
}
VARIANTS = {
    "jsonl": ["join.jsonl", "glitch.jsonl.gz", "error.csv"],
    "csv": ["join.csv", "glitch.csv.gz", "error.csv"],
    "csv.gz": ["join.csv.gz", "glitch.csv.gz", "error.csv"],
}
FORMATS = ["jsonl", "jsonl.gz", "csv", "csv.gz"]
# polars stops at the first malformed JSON line (planted in the join log) even with ignore_errors, so its JSON
# scans read a copy holding only the valid lines (DuckDB's json_valid; the per-file table says how many).
VALID_JSON = {"join.jsonl": "join.valid.jsonl", "glitch.jsonl.gz": "glitch.valid.jsonl.gz"}
BIG_KINDS = ("join", "glitch")  # the per-format ratio covers these; the error log is tiny (see per-file rows)

# Run in a child process, like every tool here: the parent stays small because a child's ru_maxrss starts
# from its parent's peak (Linux keeps the high-water mark across fork and exec).
PREPARE = """
import json, sys, duckdb
job = json.loads(sys.argv[1])
con = duckdb.connect(config={"threads": job["threads"], "memory_limit": job["memory"]})
con.execute("set enable_progress_bar = false")  # a bar on stdout would land in what the bench reads
columns = {}
for path in job["describe"]:
    described = con.sql(
        "describe select * from read_json($p, format='newline_delimited', ignore_errors=true)", params={"p": path}
    ).fetchall()
    columns[path] = [row[0] for row in described]
for source, out, gz in job["valid"]:
    options = "format csv, header false, quote '', escape '', delimiter '\\x01'" + (", compression gzip" if gz else "")
    con.execute(
        "copy (select line from read_csv($p, columns={'line': 'VARCHAR'}, delim='\\x01', quote='', escape='', "
        f"header=false, auto_detect=false) where json_valid(line)) to $out ({options})",
        {"p": source, "out": out},
    )
for source, out, compression in job["convert"]:
    spec = {c: "VARCHAR" for c in columns[source]}
    options = "header true" + (f", compression {compression}" if compression else "")
    con.execute(
        "copy (select * from read_json($p, format='newline_delimited', columns=$c, ignore_errors=true)) "
        f"to $out ({options})",
        {"p": source, "c": spec, "out": out},
    )
print(json.dumps(columns))
"""

BARE_LOAD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], config={"threads": int(sys.argv[2]), "memory_limit": sys.argv[3]})
con.execute("set enable_progress_bar = false")  # a bar on stdout would land in what the bench reads
for i, path in enumerate(sys.argv[4:]):
    if ".csv" in path:
        source = "read_csv($p, header=true, all_varchar=true, ignore_errors=true)"
    else:
        source = "read_json($p, format='newline_delimited', ignore_errors=true)"
    con.execute(f"create table t{i} as select * from {source}", {"p": path})
"""

# polars reads every field as a string (as the CSV scans do); its JSON inputs are the valid-lines copies.
POLARS_LOAD = """
import json, sys, polars as pl
out, columns = sys.argv[1], json.loads(sys.argv[2])
for i, path in enumerate(sys.argv[3:]):
    if ".csv" in path:
        frame = pl.scan_csv(path, infer_schema=False)
    else:
        schema = {name: pl.String for name in columns[path]}
        frame = pl.scan_ndjson(path, schema=schema, ignore_errors=True)
    frame.sink_parquet(f"{out}-{i}.parquet")
"""

# The reference count for lnav's, timed as a peer: severity "error" or "err" (the words lnav takes as error).
BARE_ERRORS_PER_MINUTE = """
import json, sys, duckdb
con = duckdb.connect(config={"threads": int(sys.argv[2])})
con.execute("set enable_progress_bar = false")  # a bar on stdout would land in what the bench reads
counted = con.execute(
    "select strftime(timestamp::timestamptz at time zone 'UTC', '%Y-%m-%dT%H:%M') as minute, count(*) as n "
    "from read_csv($p, header=true, all_varchar=true, null_padding=true, ignore_errors=true) "
    "where lower(severity) in ('error', 'err') group by minute order by minute",
    {"p": sys.argv[1]},
).fetchall()
open(sys.argv[3], "w").write(json.dumps(dict(counted)))
"""

# lnav's generic log format takes the level from words in the line ("error", "err") and clamps log_time so it
# never goes backwards (the error file is not in time order); log_actual_time is the line's own timestamp.
LNAV_SQL = (
    ";SELECT strftime('%Y-%m-%dT%H:%M', log_actual_time) AS minute, count(*) AS n "
    "FROM all_logs WHERE log_level = 'error' GROUP BY minute ORDER BY minute"
)

# A `postmortem report` run with timers: queries.run, each statement of the schema scripts, and the stages.
PROFILE_REPORT = r"""
import importlib, inspect, json, os, re, sys, time
from pathlib import Path
started = time.perf_counter()
import postmortem.cli as cli
from postmortem import queries
imported = time.perf_counter()
module = {}
for name in ("charts", "db", "export", "output", "render", "report"):  # a module a refactor removed is skipped
    try:
        module[name] = importlib.import_module("postmortem." + name)
    except ImportError:
        module[name] = None
entries, stack = {}, []
OVERHEAD = "bench profiler (reading DuckDB's operator timings)"

def operators(con, entry):
    # the slowest operators of the statement just run on con, from DuckDB's profiler (timed as overhead)
    start = time.perf_counter()
    try:
        info = json.loads(con.get_profiling_information(format="json"))
    except Exception:
        return
    found = []
    def walk(node):
        extra = node.get("extra_info") or {}
        detail = "; ".join(
            f"{k}: {v if isinstance(v, str) else json.dumps(v)}"
            for k, v in extra.items()
            if k in ("Table", "Function", "Join Type", "Conditions", "Aggregates", "Groups", "Partition By")
        )
        found.append({
            "name": node.get("name"),
            "s": node.get("timing") or 0.0,
            "rows": node.get("intermediate_rows"),
            "detail": " ".join(detail.split())[:160],
        })
        for child in node.get("children") or []:
            walk(child)
    for top in info.get("operator") or []:
        walk(top)
    entry["operators"] = sorted(found, key=lambda o: -o["s"])[:4]
    took = time.perf_counter() - start
    if stack:
        stack[-1] += took
    e = entries.setdefault(OVERHEAD, {"label": OVERHEAD, "self_s": 0.0, "total_s": 0.0, "calls": 0})
    e["self_s"] += took
    e["total_s"] += took
    e["calls"] += 1

def timed(fn, label, con_of=None):
    def wrapper(*args, **kwargs):
        name = label(args, kwargs) if callable(label) else label
        stack.append(0.0)
        start = time.perf_counter()
        e = entries.setdefault(name, {"label": name, "self_s": 0.0, "total_s": 0.0, "calls": 0})
        try:
            return fn(*args, **kwargs)
        finally:
            took = time.perf_counter() - start
            inner = stack.pop()
            if stack:
                stack[-1] += took
            e["self_s"] += took - inner
            e["total_s"] += took
            e["calls"] += 1
            if con_of is not None:
                operators(con_of(args), e)
    return wrapper

def patch(where, attr, label):
    if where is not None and callable(getattr(where, attr, None)):
        setattr(where, attr, timed(getattr(where, attr), label))

def query_name(args, kwargs):
    return "query " + str(args[1] if len(args) > 1 else kwargs.get("name"))

original_script = queries.execute_script

def script(con, name):
    sql = queries.load(name)
    code = re.sub(r"--[^\n]*", "", sql)
    parts = [p.strip() for p in code.split(";") if p.strip()]
    if "'" in code or '"' in code or "$" in code or len(parts) < 2:
        return original_script(con, name)
    for part in parts:
        timed(con.execute, f"script {name}: " + " ".join(part.split())[:90], lambda a: con)(part)

def profiled(connect):
    def opened(*args, **kwargs):
        con = connect(*args, **kwargs)
        try:
            con.execute("pragma enable_profiling = 'no_output'")
        except Exception:
            pass
        return con
    return opened

queries.execute_script = timed(script, lambda a, k: "script " + str(a[1]))
if callable(getattr(queries, "run", None)):
    queries.run = timed(queries.run, query_name, lambda a: a[0])
if module["db"] is not None and callable(getattr(module["db"], "connect", None)):
    module["db"].connect = profiled(module["db"].connect)
patch(module["db"], "connect", "db.connect (other)")
patch(module["db"], "cache_derived", "db.cache_derived (other)")
patch(module["output"], "build_summary", "build_summary (Python)")
patch(module["report"], "build_context", "build_context (Python)")
charts = module["charts"]
for name, fn in inspect.getmembers(charts, inspect.isfunction) if charts else []:
    if fn.__module__ == charts.__name__ and not name.startswith("_"):
        patch(charts, name, "chart " + name)
for attr in ("render_html", "render_markdown", "vega_bundle"):
    patch(module["render"], attr, "render." + attr)
patch(module["export"], "summary_json", "export.summary_json")
patch(module["export"], "write_text", "export.write_text")
sys.argv = ["postmortem", *sys.argv[1:]]
code = 0
try:
    timed(cli.app, "cli and the rest")(prog_name="postmortem")
except SystemExit as done:
    code = done.code or 0
finished = time.perf_counter()
Path(os.environ["BENCH_PROFILE_OUT"]).write_text(json.dumps({
    "import_s": imported - started,
    "run_s": finished - imported,
    "entries": sorted(entries.values(), key=lambda e: -e["self_s"]),
}))
sys.exit(code)
"""


class CommandFailed(RuntimeError):
    """A measured command exited non-zero; the message holds the command and the end of its stderr."""


def measure(cmd: list[str], env: dict | None = None, stdout=None) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one child process; raises if it fails."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=stdout or subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            text = err.read().decode(errors="replace")[-4000:]
            raise CommandFailed(f"failed ({proc.returncode}): {' '.join(cmd)}\n{text}")
    return elapsed, usage.ru_maxrss * 1024  # Linux reports KiB


def summarise(samples: list[tuple[float, int]]) -> dict:
    """Median seconds, every sample, and the largest peak RSS of the runs."""
    return {
        "s": statistics.median(s[0] for s in samples),
        "samples_s": [round(s[0], 4) for s in samples],
        "peak_rss": max(s[1] for s in samples),
    }


def run_interleaved(runs: int, tools: dict) -> dict:
    """Run each tool once per round, round after round; {tool: summary}."""
    samples: dict[str, list] = {name: [] for name in tools}
    for i in range(runs):
        for name, make in tools.items():
            samples[name].append(make(i))
    return {name: summarise(s) for name, s in samples.items()}


def count_lines(path: Path) -> int:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


def prepare(scale: float, data: Path, threads: int, memory: str) -> tuple[int, dict, dict, dict]:
    """Simulate (once) and convert (once); the paths, the columns of each JSON file, the valid-lines copies."""
    listeners = max(10, round(FULL_SCALE_LISTENERS * scale))
    logs = data / f"scale-{scale:g}"
    if not (logs / ".truth.json").exists():
        print(f"  simulating {listeners:,} listeners into {logs} ...", flush=True)
        subprocess.run(
            [PY, "-m", "postmortem", "simulate", str(logs), "--listeners", str(listeners)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    converted = logs / "converted"  # a sub-folder, so `postmortem ingest scale-X` still reads one set
    converted.mkdir(exist_ok=True)
    paths = {name: (logs if src is None else converted) / name for name, (_, _, src, _) in FILES.items()}
    valid = {name: converted / v for name, v in VALID_JSON.items()}
    job: dict = {"threads": threads, "memory": memory, "valid": [], "convert": []}
    job["describe"] = [str(paths[n]) for n, (_, fmt, _, _) in FILES.items() if fmt.startswith("jsonl")]
    renames = []
    for name, target in valid.items():
        if not target.exists():
            part = target.with_name(target.name + ".part")
            job["valid"].append([str(paths[name]), str(part), name.endswith(".gz")])
            renames.append((part, target))
    for name, (_, _, src, compression) in FILES.items():
        if src is not None and not paths[name].exists():
            part = paths[name].with_name(paths[name].name + ".part")
            job["convert"].append([str(paths[src]), str(part), compression])
            renames.append((part, paths[name]))
    if renames:
        print(f"  writing {', '.join(t.name for _, t in renames)} with DuckDB ...", flush=True)
    started = time.perf_counter()
    done = subprocess.run([PY, "-c", PREPARE, json.dumps(job)], check=True, capture_output=True, text=True)
    for part, target in renames:
        part.rename(target)
    if renames:
        print(f"    {time.perf_counter() - started:.1f} s", flush=True)
    columns = json.loads(done.stdout)
    for name, target in valid.items():
        columns[str(target)] = columns[str(paths[name])]
    return listeners, paths, columns, valid


def loaded_counts(database: Path) -> dict:
    """Rows loaded/rejected/duplicates per kind, as `postmortem query data_quality` reports them (a check that
    every input set holds the same records, so it must not end a long run if the query's shape changed)."""
    done = subprocess.run(
        [PY, "-m", "postmortem", "query", "data_quality", "--format", "json", "--db", str(database)],
        capture_output=True,
        text=True,
    )
    try:
        return {r["kind"]: {k: r[k] for k in ("loaded", "rejected", "duplicates")} for r in json.loads(done.stdout)}
    except (ValueError, KeyError, TypeError) as err:
        return {"_failed": f"{type(err).__name__}: {err}; stderr: {done.stderr.strip()[-500:]}"}


def ratio(bare: float, ours: float) -> float:
    return bare / ours if ours else float("nan")


def bench_scale(scale: float, runs: int, data: Path, threads: int, memory: str, per_file_runs: bool = True) -> dict:
    listeners, paths, columns, valid = prepare(scale, data, threads, memory)
    files = {
        name: {
            "kind": kind,
            "format": fmt,
            "path": str(paths[name].relative_to(data)),
            "bytes": paths[name].stat().st_size,
            "lines": count_lines(paths[name]),
        }
        for name, (kind, fmt, _, _) in FILES.items()
    }
    for name, path in valid.items():
        files[name]["polars_reads"] = str(path.relative_to(data))
        files[name]["polars_lines_dropped"] = files[name]["lines"] - count_lines(path)

    def polars_inputs(names: list[str]) -> list[str]:
        return [str(valid.get(n, paths[n])) for n in names]

    limits = ["--threads", str(threads), "--memory-limit", memory]
    polars_env = {**os.environ, "POLARS_MAX_THREADS": str(threads)}
    cols = json.dumps(columns)
    with tempfile.TemporaryDirectory(dir=data) as tmp:
        work = Path(tmp)

        def tools(label: str, names: list[str], keep_first: bool = False) -> dict:
            inputs = [str(paths[n]) for n in names]

            def ours(i):
                db = work / f"{label}-i{i}.duckdb"
                took = measure([PY, "-m", "postmortem", "ingest", *inputs, "--db", str(db), *limits])
                if not (keep_first and i == 0):
                    for p in work.glob(f"{label}-i{i}.*"):
                        shutil.rmtree(p) if p.is_dir() else p.unlink()
                return took

            def bare(i):
                db = work / f"{label}-b{i}.duckdb"
                took = measure([PY, "-c", BARE_LOAD, str(db), str(threads), memory, *inputs])
                for p in work.glob(f"{label}-b{i}.*"):
                    shutil.rmtree(p) if p.is_dir() else p.unlink()
                return took

            def polars(i):
                stem = work / f"{label}-p{i}"
                took = measure([PY, "-c", POLARS_LOAD, str(stem), cols, *polars_inputs(names)], env=polars_env)
                for p in work.glob(f"{label}-p{i}-*.parquet"):
                    p.unlink()
                return took

            return {"ours": ours, "bare": bare, "polars": polars}

        per_file = {}
        for name in FILES if per_file_runs else []:
            print(f"  file {name} ...", flush=True)
            m = run_interleaved(runs, tools(name, [name]))
            per_file[name] = {
                "format": files[name]["format"],
                "kind": files[name]["kind"],
                "ingest": m["ours"],
                "bare": m["bare"],
                "polars": m["polars"],
                "speed_ratio": ratio(m["bare"]["s"], m["ours"]["s"]),
            }

        variants = {}
        for variant, names in VARIANTS.items():
            print(f"  set {variant} ...", flush=True)
            m = run_interleaved(runs, tools(variant, names, keep_first=True))
            variants[variant] = {
                "files": names,
                "rows": sum(files[n]["lines"] for n in names),
                "bytes": sum(files[n]["bytes"] for n in names),
                "ingest": m["ours"],
                "bare": m["bare"],
                "polars": m["polars"],
                "speed_ratio": ratio(m["bare"]["s"], m["ours"]["s"]),
                "ingest_rows_per_s": sum(files[n]["lines"] for n in names) / m["ours"]["s"],
                "loaded": loaded_counts(work / f"{variant}-i0.duckdb"),
            }
        reference = variants["jsonl"]["loaded"]
        for v in variants.values():
            v["same_rows_as_jsonl"] = "_failed" not in reference and v["loaded"] == reference

        formats = {}
        for fmt in FORMATS if per_file else []:
            names = [n for n, f in per_file.items() if f["format"] == fmt and f["kind"] in BIG_KINDS]
            ours_s = sum(per_file[n]["ingest"]["s"] for n in names)
            bare_s = sum(per_file[n]["bare"]["s"] for n in names)
            formats[fmt] = {
                "files": names,
                "ingest_s": ours_s,
                "bare_s": bare_s,
                "polars_s": sum(per_file[n]["polars"]["s"] for n in names),
                "speed_ratio": ratio(bare_s, ours_s),
            }
        total_ours = sum(v["ingest"]["s"] for v in variants.values())
        total_bare = sum(v["bare"]["s"] for v in variants.values())

        print("  report ...", flush=True)
        database = work / "jsonl-i0.duckdb"
        html, summary = work / "r.html", work / "r.json"
        report = run_interleaved(
            runs,
            {
                "html": lambda i: measure(
                    [PY, "-m", "postmortem", "report", "--db", str(database), "-o", str(html), *limits]
                ),
                "json": lambda i: measure(
                    [
                        PY,
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
                ),
            },
        )
        profile_out = work / "profile.json"
        try:  # the profile wraps library functions by name: a refactor must not end a long run
            profiled_s, profiled_rss = measure(
                [PY, "-c", PROFILE_REPORT, "report", "--db", str(database), "-o", str(work / "p.html"), *limits],
                env={**os.environ, "BENCH_PROFILE_OUT": str(profile_out)},
            )
            profile = json.loads(profile_out.read_text())
            profile.update(wall_s=profiled_s, peak_rss=profiled_rss)
        except CommandFailed as err:
            profile = {"error": str(err)[-2000:]}
        facts = json.loads(summary.read_text())

        print("  peers ...", flush=True)
        peers = bench_lnav(runs, paths["error.csv"], work, threads)

        return {
            "scale": scale,
            "listeners": listeners,
            "files": files,
            "variants": variants,
            "per_file": per_file,
            "formats": formats,
            "speed_ratio_total": ratio(total_bare, total_ours),
            "report_html": report["html"],
            "report_json": report["json"],
            "report_html_vs_bare": report["html"]["s"] / variants["jsonl"]["bare"]["s"],
            "report_json_vs_bare": report["json"]["s"] / variants["jsonl"]["bare"]["s"],
            "report_profile": profile,
            "peers": peers,
            "db_bytes": sum(p.stat().st_size for p in work.glob("jsonl-i0.duckdb*") if p.is_file()),
            "html_bytes": html.stat().st_size,
            "incident": facts["incident"]["space_id"] if facts["incident"] else None,
            "follow_rate": (facts["switchover"] or {}).get("follow_rate"),
        }


def bench_lnav(runs: int, error_file: Path, work: Path, threads: int) -> dict:
    """lnav's error lines per minute on the error file (when installed), checked against DuckDB's count."""
    counted_by_duckdb = work / "duckdb-per-minute.json"
    bare = [
        measure([PY, "-c", BARE_ERRORS_PER_MINUTE, str(error_file), str(threads), str(counted_by_duckdb)])
        for _ in range(runs)
    ]
    reference = json.loads(counted_by_duckdb.read_text())
    result: dict = {
        "bare_errors_per_minute": summarise(bare),
        "error_lines": sum(reference.values()),
        "minutes": len(reference),
    }
    lnav = shutil.which("lnav")
    if not lnav:
        result["lnav"] = None
        result["lnav_note"] = "lnav is not installed (Debian: apt-get install -y lnav); row skipped"
        return result
    version = subprocess.run([lnav, "-V"], capture_output=True, text=True).stdout.strip()
    home = work / "lnav-home"  # lnav keeps its config and session state under $HOME
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    out = work / "lnav.csv"
    cmd = [lnav, "-n", "-c", LNAV_SQL, "-c", f":write-csv-to {out}", str(error_file)]
    timing = summarise([measure(cmd, env=env) for _ in range(runs)])
    with open(out, newline="") as f:
        counted = {row["minute"]: int(row["n"]) for row in csv.DictReader(f)}
    result["lnav"] = {
        **timing,
        "version": version,
        "command": ["lnav", "-n", "-c", LNAV_SQL, "-c", ":write-csv-to OUT", "error.csv"],
        "matches_duckdb": counted == reference,
        "error_lines": sum(counted.values()),
    }
    return result


def startup(runs: int) -> dict:
    """Seconds to start Python and import each side: what a tiny file costs before any work."""
    return {
        "ours_import_s": summarise([measure([PY, "-c", "import postmortem.cli"]) for _ in range(runs)])["s"],
        "bare_import_s": summarise([measure([PY, "-c", "import duckdb"]) for _ in range(runs)])["s"],
        "polars_import_s": summarise([measure([PY, "-c", "import polars"]) for _ in range(runs)])["s"],
        # what every child's peak RSS includes before it does anything: an empty Python started by this script
        "rss_floor": max(measure([PY, "-c", "pass"])[1] for _ in range(runs)),
    }


# ---------------------------------------------------------------------------------------------- markdown


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def sec(n: float) -> str:
    return f"{n:.2f} s"


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def table(head: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head), *("| " + " | ".join(r) + " |" for r in rows)]


def per_file_tables(results: list[dict]) -> list[str]:
    out = ["", "## Ingest per format (join and glitch logs, each file ingested alone)", ""]
    rows = []
    for r in results:
        for fmt, f in r["formats"].items():
            rows.append(
                [
                    f"{r['scale']:g}x",
                    fmt,
                    ", ".join(f["files"]),
                    sec(f["ingest_s"]),
                    sec(f["bare_s"]),
                    f"**{f['speed_ratio']:.2f}**",
                    sec(f["polars_s"]),
                ]
            )
    out += table(["scale", "format", "files", "ingest", "bare load", "ours/bare speed", "polars -> parquet"], rows)
    out += ["", "## Ingest per file", ""]
    rows = []
    for r in results:
        for name, f in r["per_file"].items():
            info = r["files"][name]
            rows.append(
                [
                    f"{r['scale']:g}x",
                    name,
                    f"{info['lines']:,}",
                    f"{info['bytes'] / 2**20:,.1f} MiB",
                    sec(f["ingest"]["s"]),
                    sec(f["bare"]["s"]),
                    f"{f['speed_ratio']:.2f}",
                    sec(f["polars"]["s"]),
                    mib(f["ingest"]["peak_rss"]),
                    mib(f["bare"]["peak_rss"]),
                    mib(f["polars"]["peak_rss"]),
                ]
            )
    out += table(
        [
            "scale",
            "file",
            "lines",
            "bytes",
            "ingest",
            "bare load",
            "ours/bare speed",
            "polars -> parquet",
            "ingest RSS",
            "bare RSS",
            "polars RSS",
        ],
        rows,
    )
    notes = {
        f"{name} ({r['files'][name]['polars_lines_dropped']:,} malformed lines dropped at {r['scale']:g}x)"
        for r in results
        for name in VALID_JSON
    }
    out += [
        "",
        "polars cannot read past a malformed JSON line, so it read copies holding only the valid lines of "
        + ", ".join(sorted(notes))
        + ".",
    ]
    return out


def markdown(results: list[dict], meta: dict, top: int = 12) -> str:
    out = ["## Ingest: whole input sets (one `postmortem ingest` of all three logs)", ""]
    rows = []
    for r in results:
        for name, v in r["variants"].items():
            rows.append(
                [
                    f"{r['scale']:g}x",
                    f"{name}: " + ", ".join(v["files"]),
                    f"{v['rows']:,}",
                    mib(v["bytes"]),
                    sec(v["ingest"]["s"]),
                    f"{v['ingest_rows_per_s']:,.0f}",
                    sec(v["bare"]["s"]),
                    f"**{v['speed_ratio']:.2f}**",
                    sec(v["polars"]["s"]),
                    mib(v["ingest"]["peak_rss"]),
                    mib(v["bare"]["peak_rss"]),
                    mib(v["polars"]["peak_rss"]),
                    "yes" if v["same_rows_as_jsonl"] else "**no**",
                ]
            )
        rows.append([f"{r['scale']:g}x", "all three sets", "", "", "", "", "", f"**{r['speed_ratio_total']:.2f}**"])
        rows[-1] += [""] * 5
    out += table(
        [
            "scale",
            "set",
            "lines",
            "input",
            "ingest",
            "lines/s",
            "bare load",
            "ours/bare speed",
            "polars -> parquet",
            "ingest RSS",
            "bare RSS",
            "polars RSS",
            "same rows loaded",
        ],
        rows,
    )
    if all(r["per_file"] for r in results):
        out += per_file_tables(results)
    else:
        out += ["", "(Per-file and per-format figures were not measured in this run: `--no-per-file`.)"]
    out += ["", "## Report (on the database of the jsonl set)", ""]
    rows = [
        [
            f"{r['scale']:g}x",
            sec(r["report_html"]["s"]),
            mib(r["report_html"]["peak_rss"]),
            sec(r["report_json"]["s"]),
            mib(r["report_json"]["peak_rss"]),
            sec(r["variants"]["jsonl"]["bare"]["s"]),
            f"{r['report_html_vs_bare']:.2f}",
            f"{r['report_json_vs_bare']:.2f}",
            mib(r["db_bytes"]),
            f"{r['html_bytes'] / 2**20:.2f} MiB",
        ]
        for r in results
    ]
    out += table(
        [
            "scale",
            "report html",
            "html RSS",
            "report json",
            "json RSS",
            "bare load of the logs",
            "html / bare load",
            "json / bare load",
            "db size",
            "html size",
        ],
        rows,
    )
    for r in results:
        p = r["report_profile"]
        if "error" in p:
            out += ["", f"The profiled report at {r['scale']:g}x failed: `{p['error'].splitlines()[0]}`"]
            continue
        timed = sum(e["self_s"] for e in p["entries"])
        out += [
            "",
            f"### Where the HTML report's seconds go at {r['scale']:g}x (one profiled run)",
            "",
            f"Process wall {sec(p['wall_s'])} (peak {mib(p['peak_rss'])}): Python start and imports "
            f"{sec(p['import_s'])}, the command {sec(p['run_s'])}. Self time of each timed part (its time minus "
            f"the timed parts it called; DuckDB's profiler on); the top {top} of {len(p['entries'])} cover "
            f"{sum(e['self_s'] for e in p['entries'][:top]):.2f} s of {timed:.2f} s timed.",
            "",
        ]
        out += table(
            ["part", "self", "share of command", "calls", "slowest DuckDB operators (the profiler's operator time)"],
            [
                [
                    f"`{e['label']}`",
                    sec(e["self_s"]),
                    f"{e['self_s'] / p['run_s']:.0%}",
                    str(e["calls"]),
                    "; ".join(
                        f"{o['name']} {o['s']:.2f} s" + (f" ({clip(o['detail'], 70)})" if o["detail"] else "")
                        for o in e.get("operators", [])[:2]
                    ).replace("|", "\\|"),
                ]
                for e in p["entries"][:top]
            ],
        )
    out += ["", "## Peers: error lines per minute on the error file", ""]
    rows = []
    for r in results:
        peers = r["peers"]
        ingest = r["per_file"].get("error.csv", {}).get("ingest")
        task = f"{peers['error_lines']:,} error lines in {peers['minutes']} minutes"
        if peers["lnav"]:
            lnav = peers["lnav"]
            check = "matches DuckDB" if lnav["matches_duckdb"] else f"**differs** ({lnav['error_lines']:,} lines)"
            rows.append([f"{r['scale']:g}x", lnav["version"], task, sec(lnav["s"]), mib(lnav["peak_rss"]), check])
        else:
            rows.append([f"{r['scale']:g}x", "lnav", task, "-", "-", peers["lnav_note"]])
        bare = peers["bare_errors_per_minute"]
        rows.append([f"{r['scale']:g}x", "DuckDB read_csv + group by", task, sec(bare["s"]), mib(bare["peak_rss"]), ""])
        if ingest:
            rows.append(
                [
                    f"{r['scale']:g}x",
                    "postmortem ingest (error.csv alone)",
                    "load, validate, dedup",
                    sec(ingest["s"]),
                    mib(ingest["peak_rss"]),
                    "",
                ]
            )
    out += table(["scale", "tool", "task", "time", "peak RSS", "check"], rows)
    if len(results) > 1:
        small, big = results[0], results[-1]
        factor = big["scale"] / small["scale"]
        parts = [
            f"ingest {n} {big['variants'][n]['ingest']['s'] / small['variants'][n]['ingest']['s']:.2f}x"
            for n in VARIANTS
        ]
        parts += [
            f"bare load (jsonl) {big['variants']['jsonl']['bare']['s'] / small['variants']['jsonl']['bare']['s']:.2f}x"
        ]
        parts += [
            f"report html {big['report_html']['s'] / small['report_html']['s']:.2f}x",
            f"report json {big['report_json']['s'] / small['report_json']['s']:.2f}x",
        ]
        out += [
            "",
            f"Growth from {small['scale']:g}x to {big['scale']:g}x ({factor:g}x the data): " + ", ".join(parts) + ".",
        ]
    big = results[-1]
    peak = max(
        [v["ingest"]["peak_rss"] for v in big["variants"].values()]
        + [f["ingest"]["peak_rss"] for f in big["per_file"].values()]
        + [big["report_html"]["peak_rss"], big["report_json"]["peak_rss"]]
    )
    s = meta["startup"]
    out += [
        "",
        f"Targets at {big['scale']:g}x: ours/bare speed {big['speed_ratio_total']:.2f} over all sets "
        f"(per format: "
        + (", ".join(f"{k} {v['speed_ratio']:.2f}" for k, v in big["formats"].items()) or "not measured")
        + "); "
        f"report html {sec(big['report_html']['s'])}, json {sec(big['report_json']['s'])} "
        f"({big['report_html_vs_bare']:.2f}x and {big['report_json_vs_bare']:.2f}x the bare load); "
        f"largest peak RSS of a postmortem command {mib(peak)}.",
        "",
        f"Median of {meta['runs']} runs per figure (the profile: one run); threads={meta['threads']}, memory "
        f"limit {meta['memory']}, {meta['cpus']} CPUs; duckdb {meta['duckdb']}, polars {meta['polars']}, "
        f"Python {meta['python']}; {meta['date']}. Peak RSS is the largest of the runs (the OS's `ru_maxrss` of "
        f"each child; an empty Python started the "
        f"same way shows {mib(s['rss_floor'])}). Starting Python and importing: postmortem "
        f"{sec(s['ours_import_s'])}, duckdb "
        f"{sec(s['bare_import_s'])}, polars {sec(s['polars_import_s'])} (paid by every command, which is what "
        f'dominates the tiny error file). "lines" counts physical lines (CSV headers included). "bare load" '
        f"is `CREATE TABLE t AS SELECT * FROM read_json(..., ignore_errors=true)` / `read_csv(..., all_varchar=true, "
        f"ignore_errors=true)` of the same files in one process: no validation, no rejects, no dedup, no line "
        f"numbers. polars gets every field as a string and reads the JSON logs' valid-lines copies (see above). "
        f"The CSV files are DuckDB's own `COPY ... TO` of the simulator's JSON, every field as text.",
    ]
    return "\n".join(out) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument("--markdown", type=Path, help="Also write the markdown tables here.")
    parser.add_argument(
        "--no-per-file",
        action="store_true",
        help="Skip ingesting each file alone (no per-format ratios); about halves a run.",
    )
    parser.add_argument("--from-json", type=Path, help="Only regenerate the tables from an earlier results.json.")
    args = parser.parse_args(argv)
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        text = markdown(saved["results"], saved["meta"])
    else:
        versions = subprocess.run(
            [PY, "-c", "import duckdb, polars; print(duckdb.__version__, polars.__version__)"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()

        args.data.mkdir(parents=True, exist_ok=True)
        args.out.mkdir(parents=True, exist_ok=True)
        meta = {
            "runs": args.runs,
            "threads": args.threads,
            "memory": args.memory_limit,
            "cpus": os.cpu_count(),
            "duckdb": versions[0],
            "polars": versions[1],
            "python": sys.version.split()[0],
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "command": "python bench/run.py " + " ".join(sys.argv[1:] if argv is None else argv),
        }
        try:
            meta["startup"] = startup(args.runs)
        except CommandFailed as err:
            raise SystemExit(str(err)) from None
        results = []
        for scale in sorted(args.scales):
            print(f"scale {scale:g}x ...", flush=True)
            try:
                results.append(
                    bench_scale(scale, args.runs, args.data, args.threads, args.memory_limit, not args.no_per_file)
                )
            except CommandFailed as err:
                raise SystemExit(str(err)) from None
            text = markdown(results, meta)  # written after every scale: a late failure keeps the earlier ones
            (args.out / "results.json").write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
            (args.out / "results.md").write_text(text)
    if args.markdown:
        args.markdown.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
