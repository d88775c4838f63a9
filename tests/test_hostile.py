"""Hostile and broken input (issue 10): log text and file names are attacker-controlled, `sql` may be handed
to a colleague or a dashboard, and `--db` may point at the wrong file. Each case here failed before its fix.

Whatever once exhausted the machine or hung runs in a subprocess with a time and a memory bound, so a
regression fails the test instead of taking the shared machine down.
"""

import fcntl
import json
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import SAMPLE_LOGS, write_lines
from typer.testing import CliRunner

from postmortem import db
from postmortem.cli import app

ESC_TITLE = "\x1b]0;pwned\x07"  # would set the terminal window's title
ESC_CLEAR = "\x1b[2J"  # would clear the screen
EPOCH = "1970-01-01T00:00:00Z"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    peak_mib: float
    killed: str | None


def _peak_mib(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):  # the high-water mark of resident memory
            return int(line.split()[1]) / 1024
    return 0.0


def _pump(proc: subprocess.Popen, fds: list[int], timeout: float, max_mib: float) -> tuple[dict, float, str | None]:
    """Read the child's output until it exits, killing it past the time or memory bound."""
    chunks: dict[int, list[bytes]] = {fd: [] for fd in fds}
    live = set(fds)
    deadline = time.monotonic() + timeout
    peak, killed = 0.0, None
    while live or proc.poll() is None:
        if live:
            ready, _, _ = select.select(list(live), [], [], 0.05)
        else:
            ready = []
            time.sleep(0.05)
        for fd in ready:
            try:
                data = os.read(fd, 1 << 20)
            except OSError:  # a pty reports EIO once the child has closed it
                data = b""
            if data:
                chunks[fd].append(data)
            else:
                live.discard(fd)
        peak = max(peak, _peak_mib(proc.pid))
        if killed is None and (peak > max_mib or time.monotonic() > deadline):
            killed = f"over {max_mib} MiB" if peak > max_mib else f"over {timeout} s"
            proc.kill()
    proc.wait()
    return {fd: b"".join(parts) for fd, parts in chunks.items()}, peak, killed


def bounded(*args, timeout: float = 60, max_mib: float = 1024) -> Run:
    """`postmortem ARGS` in a subprocess, killed past `timeout` seconds or `max_mib` MiB resident."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "postmortem", *map(str, args)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    with proc.stdout, proc.stderr:
        out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
        output, peak, killed = _pump(proc, [out_fd, err_fd], timeout, max_mib)
    return Run(proc.returncode, output[out_fd].decode(), output[err_fd].decode(), peak, killed)


def on_terminal(*args, timeout: float = 60) -> Run:
    """`postmortem ARGS` with stdout and stderr on a pseudo-terminal, as a person at a shell sees it; rich's
    own styling (SGR sequences, ESC [ ... m) is taken out, so any ESC left came from the data."""
    main_fd, child_fd = pty.openpty()
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 250, 0, 0))  # 50 rows, 250 columns
    # the size the pty says, also where rich looks first (pytest-xdist's workers carry COLUMNS=80 LINES=24)
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "250", "LINES": "50"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "postmortem", *map(str, args)],
        stdin=subprocess.DEVNULL,
        stdout=child_fd,
        stderr=child_fd,
        env=env,
    )
    os.close(child_fd)
    try:
        output, peak, killed = _pump(proc, [main_fd], timeout, 2048)
    finally:
        os.close(main_fd)
    text = re.sub(r"\x1b\[[0-9;]*m", "", output[main_fd].decode(errors="replace"))
    return Run(proc.returncode, text, "", peak, killed)


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def ingest(database: Path, *paths, kind: str | None = None) -> None:
    result = cli("ingest", *paths, *(["--kind", kind] if kind else []), "--db", database)
    assert result.exit_code == 0, result.output


def one_line_error(run, *fragments: str) -> None:
    """A Run or a CliRunner result: exit 1 with exactly one `error: ...` line naming the fragments."""
    if isinstance(run, Run):
        assert run.killed is None, run
        code, text = run.code, run.stderr
    else:
        code, text = run.exit_code, run.output
    assert code == 1, text
    assert text.startswith("error: ") and text.count("\n") == 1, text
    for fragment in fragments:
        assert fragment in text, text


def join(ts, space, user, event, role="listener"):
    return {"ts": ts, "space_id": space, "user_id": user, "event": event, "role": role}


# --- 1. the per-minute grid is bounded by the data, not by a room's span --------------------------------------


def test_a_room_from_year_1_to_9999_costs_two_minutes_not_five_billion(tmp_path):
    database = tmp_path / "span.duckdb"
    log = write_lines(
        tmp_path / "join.jsonl",
        [join("0001-01-01T00:00:00Z", "s", "u", "join"), join("9999-12-31T23:59:00Z", "s", "u", "leave")],
    )
    ingest(database, log)
    # Before: 5.2 billion minutes; timeline and report grew to 24 GB and were killed after ~170 s.
    count = bounded("sql", "select count(*) as n from space_minutes", "--format", "json", "--db", database)
    assert count.killed is None and count.code == 0, count
    assert json.loads(count.stdout) == [{"n": 2}]  # the year-1 minute and the year-9999 minute
    timeline = bounded("timeline", "--db", database, max_mib=800)
    assert timeline.killed is None and timeline.code == 0, timeline
    report = bounded("report", "--format", "json", "-o", "-", "--memory-limit", "256MB", "--db", database, max_mib=800)
    assert report.killed is None and report.code == 0, report
    (room,) = json.loads(report.stdout)["spaces"]
    assert (room["started_at"], room["ended_at"]) == ("0001-01-01T00:00:00Z", "9999-12-31T23:59:00Z")


def test_a_stray_ts_0_line_adds_one_minute_to_its_room(tmp_path):
    database = tmp_path / "stray.duckdb"
    ingest(database, SAMPLE_LOGS)
    stray = write_lines(
        tmp_path / "stray.jsonl",
        [
            join("2026-03-14T21:00:10Z", "sp-stray", "a", "join"),
            join("2026-03-14T21:05:30Z", "sp-stray", "b", "join"),
            join("2026-03-14T21:30:00Z", "sp-stray", "a", "leave"),
            join(EPOCH, "sp-stray", "c", "join"),  # the stray line: no start/end, so the room now begins in 1970
        ],
    )
    ingest(database, stray, kind="join")
    rows = bounded(
        "sql",
        "select space_id, count(*) as n from space_minutes where space_id in ('sp-stray', 'sp-main')"
        " group by all order by all",
        "--format",
        "json",
        "--db",
        database,
    )
    assert rows.killed is None and rows.code == 0, rows
    # sp-stray: 1970-01-01 00:00 (one minute), then 21:00 to 21:30 with no gap over an hour = 31 minutes; 32.
    # Before: every minute from 1970 to 2026, 29.5 million rows. sp-main keeps its 22 (21:00 to 21:21).
    assert json.loads(rows.stdout) == [{"space_id": "sp-main", "n": 22}, {"space_id": "sp-stray", "n": 32}]
    report = bounded("report", "--format", "json", "-o", "-", "--db", database, max_mib=800)
    assert report.killed is None and report.code == 0, report
    assert json.loads(report.stdout)["incident"]["space_id"] == "sp-main"


def test_quiet_minutes_are_bridged_up_to_an_hour_and_presence_survives_a_gap(con):
    con.execute(
        "insert into join_events (ts, space_id, user_id, event, role) values "
        "('2024-05-01 10:00:00+00', 'q', 'h', 'start', 'host'),"
        "('2024-05-01 10:00:00+00', 'q', 'h', 'join', 'host'),"
        "('2024-05-01 10:00:30+00', 'q', 'u', 'join', 'listener'),"
        "('2024-05-01 10:59:10+00', 'q', 'u', 'leave', 'listener'),"
        "('2024-05-01 13:00:00+00', 'q', 'h', 'end', 'host')"
    )
    rows = con.sql("select strftime(minute, '%H:%M'), present_users from space_minutes order by minute").fetchall()
    # 10:00 to 10:59 (60 minutes of h and u), 11:00 (u's departure: h alone), then two quiet hours are a gap
    # and 13:00 is the end (nobody present). Before: 181 rows, one for every minute from 10:00 to 13:00.
    assert len(rows) == 62
    assert rows[0] == ("10:00", 2) and rows[59] == ("10:59", 2)
    assert rows[60:] == [("11:00", 1), ("13:00", 0)]


def test_a_room_spread_over_more_than_a_million_minutes_is_refused_by_name(tmp_path):
    database = tmp_path / "long.duckdb"
    # 17,000 joins 59 minutes apart: no gap is over an hour, so the grid would be 16,999 * 59 + 1 = 1,002,942
    # minutes (about two years of one room), more than the 1,000,000 allowed.
    start = datetime(2024, 1, 1, tzinfo=UTC)
    lines = [
        join(f"{start + timedelta(minutes=59 * i):%Y-%m-%dT%H:%M:%SZ}", "sp-long", f"u{i}", "join")
        for i in range(17_000)
    ]
    ingest(database, write_lines(tmp_path / "join.jsonl", lines))
    for args in (
        ["report", "--format", "json", "-o", "-"],
        ["timeline"],
        ["sql", "select count(*) from space_minutes"],
        ["query", "timeline", "-p", "from_space=sp-long", "-p", "to_space=null"],
    ):
        run = bounded(*args, "--db", database, max_mib=800)
        one_line_error(run, "room sp-long would need 1002942 per-minute rows", "1,000,000")


# --- 2. `sql` reads this database and nothing else ---------------------------------------------------------------


@pytest.fixture
def small_db(tmp_path):
    database = tmp_path / "small.duckdb"
    ingest(database, write_lines(tmp_path / "join.jsonl", [join(EPOCH, "s", "u", "join"), "{broken"]))
    return database


SQL_ESCAPES = [
    "attach '{db}' as rw (READ_WRITE)",
    "attach '{same}' as rw (READ_WRITE)",  # a hard link to the database: before, this and a DROP ran
    "attach '{same}' as rw (READ_WRITE); drop table rw.rejects",
    "copy (select * from rejects) to '{out}'",
    "export database '{out}'",
    "select * from read_text('/etc/shadow')",
    "select * from glob('/root/*')",
    "select * from read_text('{log}')",
    "install httpfs",
    "select 1; drop table rejects",
    "select 1; select 2",
    "set enable_external_access = true",
    "set lock_configuration = false",
    "drop table rejects",
    "select * from query('drop table rejects')",
]


@pytest.mark.parametrize("statement", SQL_ESCAPES)
def test_sql_escapes_are_refused(small_db, tmp_path, statement):
    out, same = tmp_path / "leak", tmp_path / "same.duckdb"
    os.link(small_db, same)
    text = statement.format(db=small_db, same=same, out=out, log=tmp_path / "join.jsonl")
    refused = cli("sql", text, "--db", small_db)
    one_line_error(refused)
    assert "download" not in refused.output  # before, INSTALL httpfs tried one
    assert not out.exists()
    intact = cli("sql", "select count(*) as n from rejects", "--format", "json", "--db", small_db)
    assert json.loads(intact.stdout) == [{"n": 1}]


SWITCHED_OFF = [
    "attach '{same}' as rw (READ_WRITE)",
    "copy (select 1) to '{out}'",
    "export database '{out}'",
    "select * from read_text('/etc/shadow')",
    "select * from glob('/root/*')",
    "install httpfs",
    "load httpfs",
    "set enable_external_access = true",
    "set autoinstall_known_extensions = true",
    "set lock_configuration = false",
    "create table t as select 1",
]


@pytest.mark.parametrize("statement", SWITCHED_OFF)
def test_the_sandbox_holds_without_the_statement_check(small_db, tmp_path, statement):
    # DuckDB's own switches refuse these even when the statement reaches the engine directly.
    out, same = tmp_path / "leak", tmp_path / "same.duckdb"
    os.link(small_db, same)
    with db.connect_sandboxed(small_db) as con, pytest.raises(duckdb.Error):
        con.execute(statement.format(same=same, out=out))
    assert not out.exists()


def test_sql_still_reads_the_database_and_its_views(small_db):
    run = cli(
        "sql",
        "select (select count(*) from join_events) as events, (select count(*) from sessions) as sessions",
        "--format",
        "json",
        "--db",
        small_db,
    )
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout) == [{"events": 1, "sessions": 0}]  # one join, no end: no presence interval


@pytest.mark.parametrize("statement", ["select interval 1 day as i", "select 'a'::union(a varchar, b int) as u"])
def test_sql_results_polars_cannot_hold_are_a_one_line_error(small_db, statement):
    one_line_error(cli("sql", statement, "--db", small_db), "cast the column to varchar")


# --- 8. control characters never reach a terminal raw -----------------------------------------------------------


HOST = f"u-host{ESC_TITLE}"


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    """The sample incident with its host renamed to carry an ESC sequence, and an error from a service whose
    name clears the screen and whose message holds a C1 control (CSI, U+009B)."""
    folder = tmp_path_factory.mktemp("hostile")
    logs = folder / "logs"
    shutil.copytree(SAMPLE_LOGS, logs)
    join_log = logs / "join.jsonl"
    join_log.write_text(join_log.read_text().replace('"u-host"', json.dumps(HOST)))
    error = {"ts": "2026-03-14T21:02:00Z", "service": f"gw{ESC_CLEAR}", "level": "error", "message": "m\x9b2J"}
    error["space_id"] = "sp-main"
    write_lines(folder / "extra-error.jsonl", [error])
    database = folder / "hostile.duckdb"
    ingest(database, logs)
    ingest(database, folder / "extra-error.jsonl", kind="error")
    return database


def assert_escaped(run: Run) -> None:
    assert run.killed is None and run.code == 0, run
    assert "\x1b" not in run.stdout and "\x07" not in run.stdout and "\x9b" not in run.stdout, run.stdout
    assert "\\x1b" in run.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["timeline"],
        ["query", "spaces"],
        ["query", "errors_by_service"],
        ["sql", "select distinct user_id from join_events where contains(user_id, chr(27))"],
        ["sql", "select distinct user_id from join_events where contains(user_id, chr(27))", "--format", "csv"],
        ["sql", "select service, message from error_events", "--format", "csv"],
    ],
)
def test_control_characters_are_escaped_on_a_terminal(hostile_db, args):
    assert_escaped(on_terminal(*args, "--db", hostile_db))


def test_csv_into_a_pipe_keeps_the_bytes(hostile_db):
    run = bounded(
        "sql",
        "select distinct user_id from join_events where contains(user_id, chr(27))",
        "--format",
        "csv",
        "--db",
        hostile_db,
    )
    assert run.code == 0, run
    assert run.stdout.splitlines() == ["user_id", HOST]  # a file or another program gets the data as logged


@pytest.mark.parametrize("name", [f"evil{ESC_TITLE}.jsonl", "two\nlines.jsonl", f"clear{ESC_CLEAR}.jsonl"])
def test_hostile_file_names_are_echoed_escaped(tmp_path, name):
    log = write_lines(tmp_path / name, [join(EPOCH, "s", "u", "join")])
    loaded = cli("ingest", log, "--kind", "join", "--db", tmp_path / "x.duckdb")
    assert loaded.exit_code == 0, loaded.output
    assert not set("\x1b\x07") & set(loaded.output)  # the summary table names the file escaped
    shown = name.replace("\x1b", "\\x1b").replace("\x07", "\\x07").replace("\n", "\\x0a")
    missing = on_terminal("ingest", tmp_path / f"gone-{name}", "--db", tmp_path / "y.duckdb")
    assert missing.code == 1
    # The pty ends lines with CR LF, and the progress bar hides and shows the cursor around the error line.
    (line,) = [part for part in re.split("[\r\n]", missing.stdout) if part.startswith("error: ")]
    assert not set("\x1b\x07") & set(line), line
    assert line.endswith(shown), line


# --- 9. one huge raw line does not stall the rejects table -----------------------------------------------------


def test_an_8_mb_rejected_line_prints_at_once_and_whole_in_csv(tmp_path):
    database = tmp_path / "big.duckdb"
    ingest(database, write_lines(tmp_path / "join.jsonl", [join(EPOCH, "s", "u", "join")]))
    raw = "{" + "word " * (8 * 1024 * 1024 // 5)  # rich's wrapping is quadratic in the words of a cell
    with db.connect(database) as con:
        con.execute(
            "insert into rejects (file_id, kind, line, reason, raw) values (1, 'join', 2, 'malformed JSON', $raw)",
            {"raw": raw},
        )
    # Before: 58 s here for 10 MB of such words (the issue saw 19 s for 8 MB, 17 minutes unfinished for 20 MB).
    table = bounded("query", "rejects", "--db", database, timeout=15)
    assert table.killed is None and table.code == 0, table
    assert f"+{len(raw) - 120:,}" in table.stdout and len(table.stdout) < 10_000  # "… (+N chars)", maybe wrapped
    whole = bounded("query", "rejects", "--format", "csv", "--db", database, timeout=30)
    assert whole.code == 0 and raw in whole.stdout


# --- 10, 11. --db is a DuckDB database written by this postmortem ---------------------------------------------


def test_db_pointing_at_a_log_is_refused_and_the_log_untouched(tmp_path):
    log = write_lines(tmp_path / "mistake.jsonl", [join(EPOCH, "s", "u", "join")])
    before = log.read_bytes()
    for args in (["ingest", log], ["report", "-o", "-"], ["sql", "select 1"]):
        one_line_error(cli(*args, "--db", log), "mistake.jsonl exists and is not a DuckDB database")
    assert log.read_bytes() == before


def _foreign(path: Path, *statements: str) -> Path:
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement)
    return path


def _tables(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return sorted(row[0] for row in con.sql("select table_name from duckdb_tables()").fetchall())


@pytest.mark.parametrize(
    ("statements", "message"),
    [
        (["create table rejects (id integer, note varchar)"], "its table 'rejects' has columns (id, note)"),
        (["create table files (name varchar, size bigint)"], "its table 'files' has columns (name, size)"),
        (["create table sales (amount double)"], "was not written by postmortem (it has a table 'sales')"),
        (
            [
                "create table meta (key varchar primary key, value varchar not null)",
                "insert into meta values ('schema_version', '99')",
            ],
            "has postmortem schema version 99, this postmortem reads version 3; upgrade postmortem",
        ),
        (
            [
                "create table meta (key varchar primary key, value varchar not null)",
                "insert into meta values ('schema_version', '0')",
                "create table rejects (id integer, note varchar)",  # an older version it cannot bring up
            ],
            "schema version 0, this postmortem reads version 3; no migration exists: re-ingest",
        ),
    ],
)
def test_foreign_databases_are_refused_and_left_alone(tmp_path, statements, message):
    database = _foreign(tmp_path / "other.duckdb", *statements)
    tables = _tables(database)
    log = write_lines(tmp_path / "join.jsonl", [join(EPOCH, "s", "u", "join")])
    for args in (["ingest", log], ["report", "-o", "-"], ["sql", "select 1"]):
        one_line_error(cli(*args, "--db", database), message)
    assert _tables(database) == tables  # ingest created none of its tables inside it


# The tables as the main branch wrote them on 2026-11-25, before a schema version was recorded.
UNVERSIONED_SCHEMA = """
create sequence file_ids start 1;
create table files (
    file_id integer primary key default nextval('file_ids'), path varchar not null, sha256 varchar not null unique,
    kind varchar not null, format varchar not null, bytes bigint not null, lines_read bigint not null,
    blank bigint not null, loaded bigint not null, rejected bigint not null, duplicates bigint not null,
    min_ts timestamptz, max_ts timestamptz, tz varchar not null, clock_offset_s double not null,
    ingested_at timestamptz not null, seconds double not null);
create table rejects (file_id integer not null, kind varchar not null, line bigint not null,
    reason varchar not null, raw varchar);
create table join_events (ts timestamptz not null, space_id varchar not null, user_id varchar not null,
    event varchar not null, role varchar not null, platform varchar, region varchar, edge varchar, extra json);
create table error_events (ts timestamptz not null, service varchar not null, level varchar not null,
    message varchar not null, code varchar, space_id varchar, server varchar, user_id varchar, extra json);
create table glitch_events (ts timestamptz not null, space_id varchar not null, user_id varchar not null,
    glitch varchar not null, duration_ms double, packet_loss double, jitter_ms double, platform varchar,
    region varchar, edge varchar, extra json);
insert into join_events (ts, space_id, user_id, event, role)
    values ('2024-05-01 10:00:00+00', 's', 'h', 'start', 'host'), ('2024-05-01 10:10:00+00', 's', 'h', 'end', 'host');
"""


OLDER_VERSION = """
create table meta (key varchar primary key, value varchar not null);
insert into meta values ('schema_version', '0');
"""


@pytest.mark.parametrize("older", ["", OLDER_VERSION], ids=["unversioned", "version-0"])
def test_a_database_from_before_schema_versions_is_upgraded_not_refused(tmp_path, older):
    database = _foreign(tmp_path / "old.duckdb", UNVERSIONED_SCHEMA + older)
    report = cli("report", "--format", "json", "-o", "-", "--db", database)
    assert report.exit_code == 0, report.output
    assert [s["space_id"] for s in json.loads(report.stdout)["spaces"]] == ["s"]
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.sql("select value from meta where key = 'schema_version'").fetchall() == [("3",)]
    ingest(database, write_lines(tmp_path / "join.jsonl", [join("2024-05-01T10:01:00Z", "s", "u", "join")]))
    count = cli("sql", "select count(*) as n from join_events", "--format", "json", "--db", database)
    assert json.loads(count.stdout) == [{"n": 3}]


def test_a_missing_database_is_still_created_by_ingest(tmp_path):
    database = tmp_path / "new.duckdb"
    ingest(database, write_lines(tmp_path / "join.jsonl", [join(EPOCH, "s", "u", "join")]))
    assert "meta" in _tables(database)
