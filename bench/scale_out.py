"""Scale-out benchmark: the Parquet lake and the Spark engine next to the DuckDB file, on one machine.

For each scale (1.0 = 600,000 listeners in the failed room, as in bench/run.py):
- the simulator's three logs, with the join log (nearly all the bytes) split in two halves by line, so two
  writers get an even share: writer A ingests join part 1 + the error log, writer B join part 2 + the glitch
  log (files are independent; this is how several machines would share a day of logs);
- `ingest --lake` by the two writers at once (wall time of the pair, peak RSS of the larger), and for scale
  `ingest --db` of the same four files by one process (the single-writer baseline);
- `report --format json` three ways: DuckDB on the database file, DuckDB on the lake (`--lake`), and Spark on
  the lake (`--engine spark --spark-master local[2]`, a fresh JVM each run, start-up included); the two lake
  reports are checked to be identical, value for value;
- the cost of one more file once everything is in: a redelivery (the last REDELIVERED_LINES lines of join part 2
  again, as a file of its own, so every record in it is a duplicate) ingested into the full lake (a merge that
  reads the whole join table) and into the full database file; the reports below read both after it, and the
  lake's JSON summary is checked to equal the database file's;
- lake size on disk next to the database file; peak memory is that of the whole process tree (Spark's JVM
  included), sampled.
Each timing is the median of --runs runs in fresh processes (interleaved, so a busy neighbour hurts all alike).

Usage: python bench/scale_out.py [--scales 0.25 1] [--runs 3] [--data bench/data] [--out bench/results]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

FULL_SCALE_LISTENERS = 600_000
REDELIVERED_LINES = 20_000
ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
POSTMORTEM = [PY, "-m", "postmortem"]


class CommandFailed(RuntimeError):
    pass


class TreeRss(threading.Thread):
    """Peak resident memory of a process and all its descendants together (Spark's JVM is a grandchild that
    wait4 does not account for), sampled from /proc every 0.2 s."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()
        self.start()

    def run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self.done.wait(0.2):
            parents, rss = {}, {}
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    parents[int(entry.name)], rss[int(entry.name)] = int(fields[1]), int(fields[21]) * page
                except (OSError, IndexError, ValueError):
                    continue
            tree, frontier = {self.pid}, [self.pid]
            while frontier:
                parent = frontier.pop()
                children = [p for p, pp in parents.items() if pp == parent and p not in tree]
                tree.update(children)
                frontier.extend(children)
            self.peak = max(self.peak, sum(rss.get(p, 0) for p in tree))


def start(cmd: list[str], env: dict | None = None) -> tuple[subprocess.Popen, float, object, TreeRss]:
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
    return proc, time.perf_counter(), err, TreeRss(proc.pid)


def finish(proc: subprocess.Popen, started: float, err, sampler: TreeRss, cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes): the larger of wait4's figure and the sampled whole process tree."""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    sampler.done.set()
    sampler.join()
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code != 0:
        err.seek(0)
        raise CommandFailed(f"failed ({code}): {' '.join(cmd)}\n{err.read().decode(errors='replace')[-4000:]}")
    err.close()
    return elapsed, max(usage.ru_maxrss * 1024, sampler.peak)


def measure(cmd: list[str], env: dict | None = None) -> tuple[float, int]:
    return finish(*start(cmd, env), cmd)


def measure_pair(cmds: list[list[str]]) -> tuple[float, int]:
    """Two commands at once: wall time until both finished, the larger peak RSS."""
    began = time.perf_counter()
    running = [(start(c), c) for c in cmds]
    peaks = [finish(*handle, c)[1] for handle, c in running]
    return time.perf_counter() - began, max(peaks)


def summarise(samples: list[tuple[float, int]]) -> dict:
    return {
        "s": round(statistics.median(s[0] for s in samples), 3),
        "samples_s": [round(s[0], 3) for s in samples],
        "peak_rss": max(s[1] for s in samples),
    }


def prepare(scale: float, data: Path) -> tuple[Path, dict]:
    """Simulate once; split the join log in two halves by line; the two writers' folders."""
    listeners = max(10, round(FULL_SCALE_LISTENERS * scale))
    logs = data / f"scale-{scale:g}"
    if not (logs / ".truth.json").exists():
        print(f"  simulating {listeners:,} listeners into {logs} ...", flush=True)
        subprocess.run([*POSTMORTEM, "simulate", str(logs), "--listeners", str(listeners)], check=True)
    shares = data / f"scale-{scale:g}-shares"
    a, b = shares / "a", shares / "b"
    if not (b / "glitch.jsonl.gz").exists():
        shutil.rmtree(shares, ignore_errors=True)
        a.mkdir(parents=True)
        b.mkdir(parents=True)
        with open(logs / "join.jsonl", "rb") as src:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: src.read(1 << 20), b""))
        with open(logs / "join.jsonl", "rb") as src, open(a / "join-1.jsonl", "wb") as one:
            with open(b / "join-2.jsonl", "wb") as two:
                for i, line in enumerate(src):
                    (one if i < lines // 2 else two).write(line)
        shutil.copy(logs / "error.csv", a / "error.csv")
        shutil.copy(logs / "glitch.jsonl.gz", b / "glitch.jsonl.gz")
    again = shares / "redelivered"
    if not (again / "join-tail.jsonl").exists():
        again.mkdir(exist_ok=True)
        with open(b / "join-2.jsonl", "rb") as src:
            tail = collections.deque(src, maxlen=REDELIVERED_LINES)
        (again / "join-tail.jsonl").write_bytes(b"".join(tail))
    size = sum(p.stat().st_size for p in logs.glob("*") if p.is_file() and not p.name.startswith("."))
    return shares, {"listeners": listeners, "input_bytes": size}


def tree_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def bench_scale(scale: float, runs: int, data: Path, spark_memory: str) -> dict:
    shares, meta = prepare(scale, data)
    work = data / f"scale-{scale:g}-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    lake_dir, database = work / "lake", work / "logs.duckdb"
    writers = [[*POSTMORTEM, "ingest", str(shares / s), "--lake", str(lake_dir), "--threads", "1"] for s in "ab"]
    single = [*POSTMORTEM, "ingest", str(shares / "a"), str(shares / "b"), "--db", str(database), "--threads", "2"]
    redelivered = str(shares / "redelivered")
    again_lake = [*POSTMORTEM, "ingest", redelivered, "--lake", str(lake_dir), "--threads", "2"]
    again_db = [*POSTMORTEM, "ingest", redelivered, "--db", str(database), "--threads", "2"]
    samples: dict[str, list] = {name: [] for name in ("ingest_lake_2_writers", "ingest_db_1_writer")}
    samples.update({"redelivery_lake": [], "redelivery_db": []})
    for i in range(runs):
        print(f"  ingest run {i + 1}/{runs}", flush=True)
        shutil.rmtree(lake_dir, ignore_errors=True)
        for p in work.glob("logs.*"):
            shutil.rmtree(p) if p.is_dir() else p.unlink()
        samples["ingest_lake_2_writers"].append(measure_pair(writers))
        samples["ingest_db_1_writer"].append(measure(single))
        samples["redelivery_lake"].append(measure(again_lake))
        samples["redelivery_db"].append(measure(again_db))
    spark_env = {**os.environ, "PYSPARK_SUBMIT_ARGS": f"--driver-memory {spark_memory} pyspark-shell"}
    out = {
        "duckdb_file": (
            [*POSTMORTEM, "report", "--format", "json", "--db", str(database), "-o", str(work / "file.json")],
            None,
        ),
        "duckdb_lake": (
            [*POSTMORTEM, "report", "--format", "json", "--lake", str(lake_dir), "-o", str(work / "lake.json")],
            None,
        ),
        "spark_lake_local2": (
            [*POSTMORTEM, "report", "--format", "json", "--engine", "spark", "--spark-master", "local[2]"]
            + ["--lake", str(lake_dir), "-o", str(work / "spark.json")],
            spark_env,
        ),
    }
    for name in out:
        samples[f"report_json_{name}"] = []
    for i in range(runs):
        for name, (cmd, env) in out.items():
            print(f"  report {name} run {i + 1}/{runs}", flush=True)
            samples[f"report_json_{name}"].append(measure(cmd, env))
    lake_report = json.loads((work / "lake.json").read_text())
    same = lake_report == json.loads((work / "spark.json").read_text())
    result = {
        "scale": scale,
        **meta,
        "runs": runs,
        "timings": {name: summarise(s) for name, s in samples.items()},
        "lake_bytes": tree_bytes(lake_dir),
        "database_bytes": database.stat().st_size,
        "lake_files": sum(1 for p in lake_dir.rglob("*.parquet")),
        "spark_report_equals_duckdb_lake_report": same,
        "lake_report_equals_file_report": lake_report == json.loads((work / "file.json").read_text()),
        "redelivered_lines": REDELIVERED_LINES,
        "spark_driver_memory": spark_memory,
    }
    print(json.dumps(result, indent=1), flush=True)
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.25])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--spark-memory", default="6g", help="Spark driver heap (local mode runs in the driver).")
    args = parser.parse_args(argv)
    results = []
    for scale in args.scales:
        print(f"scale {scale:g}", flush=True)
        results.append(bench_scale(scale, args.runs, args.data, args.spark_memory))
    args.out.mkdir(parents=True, exist_ok=True)
    meta = {"cpus": os.cpu_count(), "python": sys.version.split()[0], "when": time.strftime("%Y-%m-%dT%H:%MZ")}
    target = args.out / "scale_out.json"
    previous = json.loads(target.read_text())["results"] if target.exists() else []
    kept = [r for r in previous if r["scale"] not in {x["scale"] for x in results}]
    target.write_text(json.dumps({"meta": meta, "results": sorted(kept + results, key=lambda r: r["scale"])}, indent=1))
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
