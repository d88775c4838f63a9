"""Many small files against the same lines in one file (issue 10: 10,000 small files cost 20 ms to 75 ms each).

Writes N small JSON-lines join logs of L lines each (a folder, as per-pod or per-hour shipping leaves them) and
one file holding the same lines in the same order, then times `postmortem ingest` of the folder and of the one
file, interleaved, each run into a fresh database, and checks that both loaded the same rows.

Usage:
  python bench/small_files.py [--files 10000] [--lines 5] [--runs 3] [--data bench/data/small-files]
  PYTHONPATH=/path/to/another/checkout python bench/small_files.py ...   # the same runs of another version
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).parent))
from run import measure, run_interleaved  # noqa: E402  (the same timing and memory accounting as run.py)


def write_logs(folder: Path, files: int, lines: int) -> Path:
    """The small files in `folder/small`, the same lines in `folder/one_join.jsonl`; returns the one file."""
    small = folder / "small"
    if small.exists():
        shutil.rmtree(small)
    small.mkdir(parents=True)
    one = folder / "one_join.jsonl"
    with open(one, "w") as whole:
        for f in range(files):
            records = [
                json.dumps(
                    {
                        "ts": f"2026-03-14T21:{(f // 60) % 60:02d}:{f % 60:02d}.{i:03d}Z",
                        "space_id": f"sp-{f % 7}",
                        "user_id": f"u-{f}-{i}",
                        "event": "join" if i % 2 == 0 else "leave",
                        "region": "eu-west",
                    }
                )
                + "\n"
                for i in range(lines)
            ]
            (small / f"pod-{f:05d}_join.jsonl").write_text("".join(records))
            whole.writelines(records)
    return one


def loaded(database: Path) -> int:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql("select count(*) from join_events").fetchall()[0][0]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path("bench/data/small-files"))
    args = parser.parse_args(argv)
    one = write_logs(args.data, args.files, args.lines)
    work = args.data / "work"
    work.mkdir(exist_ok=True)

    def ingest(target: Path, name: str):
        def run(i: int):
            database = work / f"{name}-{i}.duckdb"
            database.unlink(missing_ok=True)
            return measure([sys.executable, "-m", "postmortem", "ingest", "--db", str(database), str(target)])

        return run

    results = run_interleaved(args.runs, {"folder": ingest(args.data / "small", "folder"), "one": ingest(one, "one")})
    rows = {name: loaded(work / f"{name}-0.duckdb") for name in results}
    folder, single = results["folder"], results["one"]
    print(f"{args.files:,} files of {args.lines} lines ({args.files * args.lines:,} lines), median of {args.runs}:")
    print(
        f"  folder of small files: {folder['s']:.2f} s ({1000 * folder['s'] / args.files:.1f} ms a file),"
        f" peak {folder['peak_rss'] / 2**20:,.0f} MiB, runs {folder['samples_s']}"
    )
    print(
        f"  the same lines in one file: {single['s']:.2f} s, peak {single['peak_rss'] / 2**20:,.0f} MiB,"
        f" runs {single['samples_s']}"
    )
    print(
        f"  folder / one file: {folder['s'] / single['s']:.1f}x; rows loaded: {rows['folder']:,} and {rows['one']:,}"
        f" ({'the same' if rows['folder'] == rows['one'] else 'DIFFERENT'})"
    )


if __name__ == "__main__":
    main()
