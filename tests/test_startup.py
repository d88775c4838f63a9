"""Start-up: the command line answers `--help` and `--version` without loading the heavy libraries, and the
start-up benchmark (bench/startup.py) runs. Timing itself is measured there, not asserted on a busy machine."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
HEAVY = ("duckdb", "polars", "pyarrow", "altair", "jinja2", "rich", "postmortem.ingest", "postmortem.summary")


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["report", "--help"], ["sql", "--help"]])
def test_help_and_version_load_no_heavy_library(args):
    probe = (
        "import sys, runpy\n"
        f"sys.argv = ['postmortem', *{args!r}]\n"
        "try:\n"
        "    runpy.run_module('postmortem', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=ENV, timeout=120)
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr
    assert done.stdout  # it did answer


@pytest.mark.slow
def test_startup_benchmark_runs(tmp_path):
    table = tmp_path / "startup.md"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "startup.py"), "--runs", "1", "--markdown", str(table)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    text = table.read_text()
    for command in ("python -c pass", "postmortem --version", "postmortem --help", "postmortem report --help"):
        assert f"| `{command}` |" in text
    assert "| `postmortem.cli` |" in text  # the import table names our own module among the costs
