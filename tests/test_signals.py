"""Ctrl-C and time limits: at any moment a command is exit 130 and one line, and a runaway query stops.

No test here sleeps a fixed time waiting for a process to reach a state: each waits for a marker (an import
reported by `python -X importtime`, a file the process opened) and then signals it.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from conftest import wait_until_open
from typer.testing import CliRunner

from postmortem import cli
from postmortem.cli import one_line_errors

ROOT = Path(__file__).parent.parent
RUNAWAY = "select count(*) from range(1000000) a, range(1000000) b"  # 10^12 rows: never finishes by itself


def postmortem(*args: str, stderr=subprocess.PIPE, flags: tuple[str, ...] = ()) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, *flags, "-m", "postmortem", *args], stdout=subprocess.PIPE, stderr=stderr, env=env
    )


def interrupt_and_collect(proc: subprocess.Popen) -> tuple[int, list[str], float]:
    """SIGINT now; the exit code, stderr's lines (importtime's own left out) and seconds from signal to exit."""
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    lines = [line for line in stderr.decode().splitlines() if not line.startswith("import time:")]
    return proc.returncode, lines, time.monotonic() - sent


def command_raising(raised: BaseException):
    """A one-command app whose command raises `raised`, wrapped as every command is (one_line_errors), run."""
    app = typer.Typer()

    @app.command()
    @one_line_errors
    def work():
        raise raised

    return CliRunner().invoke(app, [])


@pytest.fixture
def sigint_restored(monkeypatch):
    """For tests that Ctrl-C this process: its SIGINT handler back as it was afterwards (say_interrupted ignores
    a second Ctrl-C from then on, interrupts.install sets its own), and the one line not yet said."""
    monkeypatch.setattr(cli, "_interrupt_said", False)  # the line is said once per process
    previous = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.slow
def test_ctrl_c_while_python_is_still_importing_is_one_line_and_130(sample_db):
    # importtime writes a line as each module finishes loading: the signal lands while later imports, typer's
    # parsing or the command's own lazy imports are under way, the moments that printed a traceback before
    proc = postmortem("report", "--format", "json", "-o", "-", "--db", str(sample_db), flags=("-X", "importtime"))
    for line in proc.stderr:
        if line.decode().split("|")[-1].strip() == "typer":
            break
    code, lines, _ = interrupt_and_collect(proc)
    assert code == 130, lines
    assert lines == ["error: interrupted"]


@pytest.mark.slow
def test_ctrl_c_stops_a_runaway_sql_query_within_seconds(sample_db):
    proc = postmortem("sql", RUNAWAY, "--db", str(sample_db))
    wait_until_open(proc, sample_db)  # the connection is open: the query starts next (or has started)
    code, lines, took = interrupt_and_collect(proc)
    assert (code, lines) == (130, ["error: interrupted"])
    # without con.interrupt() the statement ran on for minutes; a generous bound for a busy machine
    assert took < 10


def test_timeout_stops_a_runaway_sql_query_with_one_line(runner, sample_db):
    from postmortem.cli import app

    started = time.monotonic()
    result = runner.invoke(app, ["sql", RUNAWAY, "--timeout", "0.5", "--db", str(sample_db)])
    assert result.exit_code == 1, result.output
    assert result.output == "error: the query ran longer than 0.5 s and was stopped (--timeout SECONDS)\n"
    assert time.monotonic() - started < 20  # the cross join alone would take hours


@pytest.mark.parametrize(
    "raised",
    [KeyboardInterrupt(), RuntimeError("Query interrupted")],
)
def test_an_interrupt_reported_by_the_engine_is_the_same_one_line(raised, sigint_restored):
    result = command_raising(raised)
    assert result.exit_code == 130
    assert result.output.splitlines()[-1] == "error: interrupted"


def test_another_runtime_error_is_not_taken_for_ctrl_c():
    result = command_raising(RuntimeError("something else"))
    assert isinstance(result.exception, RuntimeError)
    assert result.exit_code == 1


@pytest.mark.slow
def test_ctrl_c_during_a_report_is_one_line_and_130(sample_db, tmp_path):
    proc = postmortem("report", "-o", str(tmp_path / "r.html"), "--db", str(sample_db))
    wait_until_open(proc, sample_db)  # detection is reading the database now
    code, lines, took = interrupt_and_collect(proc)
    assert (code, lines) == (130, ["error: interrupted"])
    assert not (tmp_path / "r.html").exists()  # nothing half-written
    assert took < 10


@pytest.mark.parametrize("raised", ["interrupt", "runtime"])
def test_ctrl_c_in_ingests_derived_table_step_is_one_line_and_keeps_the_files(
    tmp_path, monkeypatch, raised, sigint_restored
):
    import duckdb

    from postmortem import db, queries
    from postmortem.cli import app

    script = queries.execute_script

    def interrupted_derive(con, name):
        if name == "schema/derive":  # DuckDB noticing Ctrl-C in the step, as duckdb 2.0 reports it either way
            raise (
                duckdb.InterruptException("INTERRUPT Error: Interrupted!")
                if raised == "interrupt"
                else RuntimeError("Query interrupted")
            )
        return script(con, name)

    monkeypatch.setattr(queries, "execute_script", interrupted_derive)
    database = tmp_path / "pm.duckdb"
    result = CliRunner().invoke(app, ["ingest", str(ROOT / "sample_logs"), "--db", str(database)])
    assert result.exit_code == 130, result.output
    assert result.output == "error: interrupted; completed work is kept, the file in progress was not loaded\n"
    monkeypatch.setattr(queries, "execute_script", script)
    with db.connect(database, read_only=True) as con:
        assert con.sql("select count(*) from files where status = 'loaded'").fetchall() == [(3,)]  # the 3 sample logs
        # not kept: no stamp says the derived tables match the data, so the next report computes the views itself
        assert queries.run(con, "schema/derived_for").item() is None


def test_ctrl_c_stops_work_of_many_statements_before_the_connection_is_handed_back(sigint_restored):
    # Detection runs dozens of statements: an interrupt stops only the one running, and on Python 3.11 a
    # Ctrl-C landing in Thread.join marks the still-running worker as stopped (CPython gh-90882). The caller
    # then closed the connection under the next statement: "connection is busy", or the process aborted.
    import threading

    import duckdb

    from postmortem import queries

    con = duckdb.connect()
    started, ended = threading.Event(), threading.Event()

    def many_statements():
        try:
            started.set()
            while True:
                con.sql("select sum(range) from range(20000)").fetchall()
        finally:
            ended.set()

    def ctrl_c_once_started():
        started.wait(60)
        os.kill(os.getpid(), signal.SIGINT)

    signal.signal(signal.SIGINT, signal.default_int_handler)
    threading.Thread(target=ctrl_c_once_started, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        queries.interruptible(con, many_statements)
    assert ended.is_set()  # the work has ended before interruptible hands the connection back
    con.close()  # and closing it is not refused as busy


def test_a_ctrl_c_python_could_not_raise_is_delivered_again(monkeypatch, sigint_restored):
    # Python prints "Exception ignored" for a KeyboardInterrupt landing in a __del__ or an import's weakref
    # callback, and the command ran on to the end
    from postmortem import interrupts

    class LostOnCollection:
        def __del__(self):
            raise KeyboardInterrupt

    monkeypatch.setattr(interrupts, "seen", False)
    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)
    interrupts.install()
    with pytest.raises(KeyboardInterrupt):
        LostOnCollection()
        for _ in range(10**7):  # the delivered signal is raised at the interpreter's next check
            pass
    assert interrupts.seen


def test_a_ctrl_c_turned_into_another_error_is_still_one_line_and_130(monkeypatch, sigint_restored):
    # Ctrl-C while a C extension initialises (duckdb's) surfaces as "ImportError: Encountered an error while
    # initializing the extension", which printed a traceback and exit 1
    from postmortem import interrupts

    monkeypatch.setattr(interrupts, "seen", True)
    result = command_raising(ImportError("Encountered an error while initializing the extension."))
    assert result.exit_code == 130
    assert result.output == "error: interrupted\n"
