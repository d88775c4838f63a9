"""A tiny-scale smoke run of the benchmark script, so it cannot rot (the real run is bench/RESULTS.md)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.mark.slow
def test_bench_script_runs_end_to_end(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--scales",
            "0.0002",
            "--runs",
            "1",
            "--data",
            str(tmp_path / "data"),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (row,) = json.loads((tmp_path / "out" / "results.json").read_text())["results"]
    assert row["listeners"] == 120
    assert row["rows"] == sum(k["lines"] for k in row["kinds"].values())
    assert row["ingest_s"] > 0 and row["bare_s"] > 0 and row["report_html_s"] > 0
    assert row["incident"] == "sp-main"
    assert "| 0.0002x | 120 |" in (tmp_path / "out" / "results.md").read_text()
