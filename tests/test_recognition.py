"""Never a wrong load: numeric level scales, --default, year-less timestamps, recognition by score, directive
lines. Every refusal's hint is followed here, and the file it names then loads exactly."""

import re
import shlex
from datetime import UTC, datetime

import duckdb
from conftest import write_lines

from postmortem.cli import app


def run(runner, *args):
    return runner.invoke(app, [str(a) for a in args])


def follow(runner, result, path, database, *flags):
    """The flags a refusal suggests (`e.g. --flag VALUE` or `try --flag 'VALUE'`), run on the same file."""
    assert result.exit_code == 1, result.output
    suggested = re.search(r"(?:e\.g\.|try) (--[\w-]+ (?:'[^']*'|\S+))", result.output)
    assert suggested, result.output
    return run(runner, "ingest", path, "--db", database, *flags, *shlex.split(suggested.group(1)))


def rows(database, sql):
    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql(sql).fetchall()


def utc(*args):
    return datetime(*args, tzinfo=UTC)


# --- numeric levels ------------------------------------------------------------------------------------------


def test_numbers_that_fit_several_scales_are_refused_and_the_hint_loads_them(runner, tmp_path):
    # Nextcloud-like: 1 is info on its 0-4 scale, an alert on syslog's. Levels {1, 3} fit syslog 0-7,
    # nextcloud 0-4, dotnet 0-5 and otel 1-24: four scales, so nothing is guessed.
    path = write_lines(
        tmp_path / "app.jsonl",
        [
            {"time": "2023-10-01T02:39:09Z", "level": 1, "app": "files", "message": "scanned"},
            {"time": "2023-10-01T02:39:10Z", "level": 3, "app": "files", "message": "scan failed"},
            {"time": "2023-10-01T02:39:11Z", "level": 1, "app": "files", "message": "scanned again"},
        ],
    )
    database = tmp_path / "pm.duckdb"
    refused = run(runner, "ingest", path, "--db", database)
    assert "fit several scales (syslog 0-7, nextcloud 0-4, dotnet 0-5, otel 1-24)" in refused.output
    assert "--level-scale NAME" in refused.output
    assert not database.exists() or rows(database, "select count(*) from error_events") == [(0,)]
    followed = follow(runner, refused, path, database)  # the hint's example: syslog, the first that fits
    assert followed.exit_code == 0, followed.output
    # on syslog's scale 1 is fatal (alert) and 3 error: exactly what the flag asked for
    assert rows(database, "select level, message from error_events order by ts") == [
        ("fatal", "scanned"),
        ("error", "scan failed"),
        ("fatal", "scanned again"),
    ]
    nextcloud = tmp_path / "nc.duckdb"
    result = run(runner, "ingest", path, "--db", nextcloud, "--level-scale", "nextcloud")
    assert result.exit_code == 0, result.output
    assert rows(nextcloud, "select level from error_events order by ts") == [("info",), ("error",), ("info",)]


def test_numbers_that_fit_one_scale_are_read_on_it_and_the_summary_says_so(runner, tmp_path):
    # HTTP statuses as the level: 200 and 504 fit only the http scale (100-599): 504 stays an error.
    path = write_lines(
        tmp_path / "edge.jsonl",
        [
            {"ts": "2024-05-01T10:00:00Z", "service": "edge", "level": 200, "message": "GET /"},
            {"ts": "2024-05-01T10:00:01Z", "service": "edge", "level": 504, "message": "GET /slow"},
        ],
    )
    database = tmp_path / "pm.duckdb"
    result = run(runner, "ingest", path, "--db", database)
    assert result.exit_code == 0, result.output
    assert "http scale (100-599)" in result.output
    assert rows(database, "select level from error_events order by ts") == [("info",), ("error",)]


def test_level_scale_flag_is_checked(runner, tmp_path):
    path = write_lines(tmp_path / "a.jsonl", [{"ts": "2024-05-01T10:00:00Z", "level": 1, "message": "m"}])
    result = run(runner, "ingest", path, "--db", tmp_path / "pm.duckdb", "--level-scale", "decibel")
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("error: unknown --level-scale 'decibel'; use one of:")


# --- --default ------------------------------------------------------------------------------------------------


def test_default_fills_a_field_only_where_the_record_lacks_it(runner, tmp_path):
    # CLEF: a record without @l is Information. Three records, the middle one with its own level.
    path = write_lines(
        tmp_path / "clef.jsonl",
        [
            {"@t": "2024-05-01T10:00:00Z", "@m": "started"},
            {"@t": "2024-05-01T10:00:01Z", "@m": "failed", "@l": "Error"},
            {"@t": "2024-05-01T10:00:02Z", "@m": "retried"},
        ],
    )
    database = tmp_path / "pm.duckdb"
    flags = ["--kind", "error", "--map", "ts=@t", "--map", "message=@m", "--map", "level=@l", "--set", "service=api"]
    result = run(runner, "ingest", path, "--db", database, *flags, "--default", "level=info")
    assert result.exit_code == 0, result.output
    assert rows(database, "select level, message from error_events order by ts") == [
        ("info", "started"),
        ("error", "failed"),  # its own level kept: a default never overrides
        ("info", "retried"),
    ]
    bad = run(runner, "ingest", path, "--db", database, "--default", "level")
    assert bad.exit_code == 1 and "--default 'level' is not of the form FIELD=VALUE" in bad.output
