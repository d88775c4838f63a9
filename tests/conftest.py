import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from postmortem import db
from postmortem.ingest import ingest

ROOT = Path(__file__).parent.parent
SAMPLE_LOGS = ROOT / "sample_logs"

# The tests' Spark driver JVM (pyspark launches it with these arguments) compiles with the quick JIT only and
# collects with one GC thread: its runs are short and the machine has two cores. Measured on the sample lake
# (session, lake views, derived cache, the summary's queries, a second session), the JVM's CPU time fell from
# 71.8 s to 41.1 s under load 6-9; no query result depends on it. A value set outside the tests wins.
QUICK_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
os.environ.setdefault("PYSPARK_SUBMIT_ARGS", f"--driver-java-options '{QUICK_JVM_OPTIONS}' pyspark-shell")


# The two workers (pyproject: -n 2 --dist loadfile) take whole test files in collection order. The longest files
# (seconds of test time in one quiet run: 122, 93, 72, 42) go first and the short ones fill in around them, so
# that both workers end together instead of one waiting out a long file that started late. Stable: the tests of
# a file keep their order.
LONGEST_FILES = ["test_spark.py", "test_report.py", "test_ingest.py", "test_spark_connect.py"]


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONGEST_FILES)))


@pytest.fixture
def con():
    connection = db.connect(":memory:", threads=2)
    yield connection
    connection.close()


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory):
    """The committed sample logs, ingested once for the whole session (read-only use)."""
    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    with db.connect(path, threads=2) as connection:
        ingest(connection, [SAMPLE_LOGS])
    return path


@pytest.fixture(scope="session")
def truth():
    return json.loads((SAMPLE_LOGS / ".truth.json").read_text())


@pytest.fixture
def sample_copy(tmp_path):
    target = tmp_path / "logs"
    shutil.copytree(SAMPLE_LOGS, target)
    return target


def write_lines(path: Path, lines: list) -> Path:
    """Write JSON objects (dicts) or raw strings, one per line."""
    path.write_text(
        "".join((json.dumps(x) if isinstance(x, dict) else x) + "\n" for x in lines),
        encoding="utf-8",
    )
    return path


def wait_until_open(proc: subprocess.Popen, path: Path, limit: float = 120) -> None:
    """Return once `proc` holds `path` open (its /proc fd table says so); fail if it ends first."""
    deadline = time.monotonic() + limit
    target = str(path.resolve())
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the process ended before it opened {path}"
        try:
            fds = os.listdir(f"/proc/{proc.pid}/fd")
        except FileNotFoundError:
            fds = []
        for fd in fds:
            try:
                if os.readlink(f"/proc/{proc.pid}/fd/{fd}") == target:
                    return
            except OSError:  # closed between the listing and the read
                continue
        time.sleep(0.01)  # a polling step, not a wait for the state
    raise AssertionError(f"{path} was not opened within {limit} s")


def wait_for_marker(server: subprocess.Popen, log: Path, marker: str, limit: float) -> None:
    """Return once `server`'s log holds `marker` (its own word that it is ready); fail if it exits first or
    `limit` seconds pass."""
    deadline = time.monotonic() + limit
    while marker not in log.read_text(errors="replace"):
        assert server.poll() is None, f"the server exited: {log.read_text(errors='replace')[-2000:]}"
        assert time.monotonic() < deadline, f"no {marker!r} in {log} after {limit} s"
        time.sleep(0.1)  # polling the server's own marker, not waiting a fixed time for it


def invalid_charts(facts: dict) -> dict[str, list[str]]:
    """What the Vega-Lite schema Altair ships says is wrong in each chart the report would draw from `facts`,
    wide and narrow (the report does not ask Altair to validate as it builds: postmortem/charts.py, _spec)."""
    import altair as alt
    import jsonschema

    from postmortem import figures

    validator = jsonschema.Draft7Validator(alt.Chart._rootschema)
    drawn = figures.figures(facts)
    assert drawn, "no chart to check"
    found = {}
    for name, figure in drawn.items():
        for width in ("spec", "narrow"):
            errors = [error.message[:200] for error in validator.iter_errors(figure[width])]
            if errors:
                found[f"{name} ({width})"] = errors
    return found
