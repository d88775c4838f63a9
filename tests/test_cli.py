"""Exit codes and one-line errors: the CLI is a thin shell, so these check the wiring, not the numbers."""

import json

import pytest
from conftest import write_lines

from postmortem.cli import app
from postmortem.db import translate


def run(runner, *args):
    return runner.invoke(app, [str(a) for a in args])


def test_ingest_then_report_json_to_stdout(runner, sample_copy, tmp_path):
    database = tmp_path / "pm.duckdb"
    first = run(runner, "ingest", sample_copy, "--db", database)
    assert first.exit_code == 0, first.output
    assert "By kind" in first.output and "loaded" in first.output
    second = run(runner, "ingest", sample_copy, "--db", database)
    assert second.exit_code == 0, second.output
    assert second.output.count("already loaded") == 3
    result = run(runner, "report", "--format", "json", "-o", "-", "--db", database)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["switchover"]["to_space"] == "sp-rescue"


def test_env_var_names_the_database(runner, sample_copy, tmp_path, monkeypatch):
    database = tmp_path / "env.duckdb"
    monkeypatch.setenv("POSTMORTEM_DB", str(database))
    assert run(runner, "ingest", sample_copy).exit_code == 0
    assert database.exists()


def test_query_list_csv_and_timesketch(runner, sample_db, tmp_path):
    listed = run(runner, "query", "--list", "--db", sample_db)
    assert listed.exit_code == 0 and "switchover" in listed.output
    csv = run(
        runner,
        "query",
        "switchover",
        "-p",
        "from_space=sp-main",
        "-p",
        "window_minutes=60",
        "--format",
        "csv",
        "--db",
        sample_db,
    )
    assert csv.exit_code == 0, csv.output
    assert csv.stdout.splitlines()[1].startswith("sp-main,sp-rescue,u-host,u-host2,2026-03-14T21:21:00Z")
    out = tmp_path / "t.jsonl"
    sketch = run(runner, "timeline", "--format", "timesketch", "-o", out, "--db", sample_db)
    assert sketch.exit_code == 0, sketch.output
    first = json.loads(out.read_text().splitlines()[0])
    assert {"message", "datetime", "timestamp_desc"} <= set(first)


def test_detection_is_tunable_from_the_command_line(runner, sample_db):
    # The sample's degradation lasts 9 minutes: a 10-minute sustain rule finds no incident at all.
    strict = run(runner, "report", "--format", "json", "-o", "-", "--sustain-minutes", 10, "--db", sample_db)
    assert strict.exit_code == 0, strict.output
    summary = json.loads(strict.stdout)
    assert summary["incident"] is None and summary["definitions"]["sustain_minutes"] == 10
    loose = run(runner, "report", "--format", "json", "-o", "-", "--sustain-minutes", 9, "--db", sample_db)
    assert json.loads(loose.stdout)["incident"]["degraded_minutes"] == 9


def test_sql_is_read_only(runner, sample_db):
    ok = run(runner, "sql", "select count(*) as n from files", "--format", "json", "--db", sample_db)
    assert json.loads(ok.stdout) == [{"n": 3}]
    denied = run(runner, "sql", "delete from files", "--db", sample_db)
    assert denied.exit_code == 1
    assert denied.output.startswith("error: ") and "read-only" in denied.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "/no/such/dir"], "error: no such file or directory: /no/such/dir"),
        (["ingest", "{logs}", "--kind", "nope"], "error: unknown kind 'nope'"),
        (["ingest", "{logs}", "--tz", "Mars/Base"], "error: unknown time zone 'Mars/Base'"),
        (["ingest", "{logs}", "--clock-offset", "soon"], "error: cannot read duration 'soon'"),
        (["report", "--db", "{missing}"], "error: no database at"),
        (["query", "nope", "--db", "{db}"], "error: unknown query 'nope'"),
        (["query", "blast_radious", "--db", "{db}"], "error: unknown query 'blast_radious'; did you mean"),
        (
            ["query", "spaces", "-p", "oops", "--db", "{db}"],
            "error: parameter 'oops' is not of the form name=value",
        ),
        (["sql", "selec 1", "--db", "{db}"], "error: Parser Error"),
        (["report", "--db", "{db}", "--space", "nope", "-o", "-"], "error: no room 'nope'"),
        (["report", "--db", "{db}", "--notes", "/no/notes.toml"], "error: notes file not found"),
    ],
)
def test_bad_invocations_are_one_line_errors(runner, tmp_path, sample_db, args, message):
    logs = write_lines(tmp_path / "join.jsonl", [{"ts": 1, "space_id": "s", "user_id": "u", "event": "join"}])
    fill = {
        "{logs}": str(logs),
        "{missing}": str(tmp_path / "missing.duckdb"),
        "{db}": str(sample_db),
    }
    result = run(
        runner,
        *[fill.get(a, a) for a in args],
        *(["--db", tmp_path / "x.duckdb"] if args[0] == "ingest" else []),
    )
    assert result.exit_code == 1, result.output
    assert result.output.startswith(message), result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_a_bad_path_creates_no_database(runner, tmp_path):
    database = tmp_path / "never.duckdb"
    result = run(runner, "ingest", tmp_path / "missing.jsonl", "--db", database)
    assert result.exit_code == 1 and not database.exists()


def test_strict_makes_rejects_fatal(runner, tmp_path):
    logs = write_lines(tmp_path / "join.jsonl", ["{broken"])
    result = run(runner, "ingest", logs, "--strict", "--db", tmp_path / "x.duckdb")
    assert result.exit_code == 2
    assert "error: 1 line(s) rejected (--strict)" in result.output


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            'IO Error: Could not set lock on file "x": Conflicting lock is held in python (PID 42)',
            "database x is in use by another process (PID 42); wait for it to finish or pass --db to use another file",
        ),
        ("IO Error: Could not write file: No space left on device", "disk full while writing x"),
        (
            'IO Error: Cannot open file "x": Read-only file system',
            "cannot write x: read-only location",
        ),
    ],
)
def test_io_failures_translate_to_actionable_messages(raw, expected):
    assert str(translate(Exception(raw), "x")).startswith(expected)


def test_notes_template_command(runner, tmp_path):
    out = tmp_path / "incident.toml"
    assert run(runner, "notes-template", "-o", out).exit_code == 0
    assert "[[action_items]]" in out.read_text()


def test_simulate_is_deterministic(runner, tmp_path):
    for name in ("a", "b"):
        assert run(runner, "simulate", tmp_path / name, "--listeners", 50, "--seed", 3).exit_code == 0
    for log in ("join.jsonl", "error.csv", ".truth.json"):
        assert (tmp_path / "a" / log).read_bytes() == (tmp_path / "b" / log).read_bytes()
