"""A tiny-scale smoke run of the benchmark script, so it cannot rot (the real run is bench/RESULTS.md).

No timing is asserted: only that every command ran, the results have their shape, the ratios are the
ratios of the figures beside them, the three input sets load the same records, and the tables regenerate.
"""

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SCRIPT = ROOT / "bench" / "run.py"


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9)


@pytest.mark.slow
def test_bench_script_runs_end_to_end(tmp_path):
    tables = tmp_path / "tables.md"
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--scales",
            "0.0002",
            "--runs",
            "1",
            "--data",
            str(tmp_path / "data"),
            "--out",
            str(tmp_path / "out"),
            "--markdown",
            str(tables),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    (row,) = saved["results"]
    # children's peak RSS is measured from a small parent (a child's ru_maxrss starts at its parent's peak)
    assert saved["meta"]["startup"]["rss_floor"] < 64 * 2**20
    assert row["listeners"] == 120
    assert set(row["files"]) == {
        "join.jsonl",
        "glitch.jsonl.gz",
        "error.csv",
        "join.csv",
        "join.csv.gz",
        "glitch.csv.gz",
    }
    # the CSV conversions hold the same records: one header line more for the join log, same for the glitch log
    assert row["files"]["join.csv"]["lines"] == row["files"]["join.jsonl"]["lines"] + 1
    assert row["files"]["join.csv.gz"]["lines"] == row["files"]["join.csv"]["lines"]
    assert row["files"]["glitch.csv.gz"]["lines"] == row["files"]["glitch.jsonl.gz"]["lines"] + 1
    assert row["files"]["join.jsonl"]["polars_lines_dropped"] > 0  # the planted truncated lines

    assert set(row["variants"]) == {"jsonl", "csv", "csv.gz"}
    for variant in row["variants"].values():
        for tool in ("ingest", "bare", "polars"):
            assert variant[tool]["s"] > 0 and variant[tool]["peak_rss"] > 0
            assert len(variant[tool]["samples_s"]) == 1
        assert close(variant["speed_ratio"], variant["bare"]["s"] / variant["ingest"]["s"])
        assert variant["rows"] == sum(row["files"][f]["lines"] for f in variant["files"])
        assert variant["same_rows_as_jsonl"], variant["loaded"]
        assert set(variant["loaded"]) == {"join", "error", "glitch"}
    total_bare = sum(v["bare"]["s"] for v in row["variants"].values())
    total_ours = sum(v["ingest"]["s"] for v in row["variants"].values())
    assert close(row["speed_ratio_total"], total_bare / total_ours)

    assert set(row["per_file"]) == set(row["files"])
    for f in row["per_file"].values():
        assert close(f["speed_ratio"], f["bare"]["s"] / f["ingest"]["s"])
    assert set(row["formats"]) == {"jsonl", "jsonl.gz", "csv", "csv.gz"}
    assert row["formats"]["csv.gz"]["files"] == ["join.csv.gz", "glitch.csv.gz"]
    for f in row["formats"].values():
        assert close(f["ingest_s"], sum(row["per_file"][n]["ingest"]["s"] for n in f["files"]))
        assert close(f["speed_ratio"], f["bare_s"] / f["ingest_s"])

    assert row["report_html"]["s"] > 0 and row["report_json"]["peak_rss"] > 0
    assert close(row["report_html_vs_bare"], row["report_html"]["s"] / row["variants"]["jsonl"]["bare"]["s"])
    profile = row["report_profile"]
    assert "error" not in profile, profile
    labels = [e["label"] for e in profile["entries"]]
    # the report reads the derived tables ingest kept (queries/schema/derive.sql)
    assert "query spaces" in labels and any(label.startswith("script schema/use_derived") for label in labels)
    assert sum(e["self_s"] for e in profile["entries"]) <= profile["run_s"] + 1e-6
    assert all(e["operators"] for e in profile["entries"] if e["label"].startswith("query "))  # DuckDB's profiler
    assert row["incident"] == "sp-main"

    peers = row["peers"]
    assert peers["error_lines"] > 0 and peers["bare_errors_per_minute"]["s"] > 0
    if shutil.which("lnav"):
        assert peers["lnav"]["matches_duckdb"], peers["lnav"]
    else:
        assert peers["lnav"] is None and "not installed" in peers["lnav_note"]

    text = tables.read_text()
    assert text == (tmp_path / "out" / "results.md").read_text()
    assert "| 0.0002x | jsonl: join.jsonl, glitch.jsonl.gz, error.csv |" in text
    assert "| 0.0002x | csv.gz | join.csv.gz, glitch.csv.gz |" in text
    # the profile's table lists the slowest parts first (at this scale charts, not queries, lead since each chart is
    # drawn at two widths)
    slowest = max(profile["entries"], key=lambda e: e["self_s"])["label"]
    assert "### Where the HTML report's seconds go at 0.0002x" in text and f"| `{slowest}` |" in text

    again = tmp_path / "again.md"
    regenerated = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--from-json",
            str(tmp_path / "out" / "results.json"),
            "--markdown",
            str(again),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert regenerated.returncode == 0, regenerated.stderr
    assert again.read_text() == text
