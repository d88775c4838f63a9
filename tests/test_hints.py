"""Every hint is followed: each refusal's suggested command line (the text between backticks after "try") is
parsed from the output, run on the same file, and the file then loads exactly: its counts and its rows."""

import re
import shlex
from datetime import UTC, datetime

import duckdb
import pytest
from conftest import write_lines

from postmortem import hints
from postmortem.cli import app


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def suggested(output: str) -> list[str]:
    found = re.search(r"try `([^`]+)`", output)
    assert found, output
    return shlex.split(found.group(1))


def rows(database, sql):
    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql(sql).fetchall()


TEXT_PDT = (
    "2023-05-01 10:00:00.123 PDT [123] LOG:  database system is ready to accept connections\n"
    '2023-05-01 10:00:05.500 PDT [124] ERROR:  relation "users" does not exist\n'
)
# Each case: file name, its lines, the flags a user first passes, the flags the hint must suggest, and after
# following it: (lines_read, loaded, rejected) and the rows (ts, level, message) in time order.
CASES = {
    "ts under a key of no alias": (
        "app.jsonl",
        [
            {"when": "2024-05-01T10:00:00Z", "level": "error", "message": "boom", "service": "api"},
            {"when": "2024-05-01T10:00:01Z", "level": "info", "message": "ok", "service": "api"},
        ],
        [],
        ["--map", "ts=when"],
        (2, 2, 0),
        [(utc(2024, 5, 1, 10, 0, 0), "error", "boom"), (utc(2024, 5, 1, 10, 0, 1), "info", "ok")],
    ),
    "no kind, the level under sev": (
        "app.jsonl",
        [
            {"ts": "2024-05-01T10:00:00Z", "sev": "ERROR", "message": "boom"},
            {"ts": "2024-05-01T10:00:01Z", "sev": "INFO", "message": "ok"},
        ],
        [],
        ["--kind", "error", "--map", "level=sev"],
        (2, 2, 0),
        [(utc(2024, 5, 1, 10, 0, 0), "error", "boom"), (utc(2024, 5, 1, 10, 0, 1), "info", "ok")],
    ),
    "CSV of month-first dates under names of no alias": (
        "export.csv",
        ["when,sev,text", "03/17/2024 16:13:38,ERROR,disk full", "03/17/2024 16:13:39,INFO,cleaned"],
        [],
        ["--kind", "error", "--map", "ts=when", "--ts-format", "%m/%d/%Y %H:%M:%S", "--map", "level=sev"],
        (2, 2, 0),  # lines after the header
        [(utc(2024, 3, 17, 16, 13, 38), "error", "disk full"), (utc(2024, 3, 17, 16, 13, 39), "info", "cleaned")],
    ),
    "timestamps in a form of no default": (
        "app.jsonl",
        [
            {"ts": "17.03.2024 16:13:38", "level": "error", "message": "a"},
            {"ts": "18.03.2024 16:13:38", "level": "info", "message": "b"},
        ],
        [],
        ["--ts-format", "%d.%m.%Y %H:%M:%S"],
        (2, 2, 0),
        [(utc(2024, 3, 17, 16, 13, 38), "error", "a"), (utc(2024, 3, 18, 16, 13, 38), "info", "b")],
    ),
    "date and time in two columns": (
        "hdfs.csv",
        ["Date,Time,Level,Content", "081109,203615,INFO,hello", "081109,203807,WARN,slow"],
        ["--kind", "error"],
        ["--map", "ts=Date+Time"],
        (2, 2, 0),
        [(utc(2008, 11, 9, 20, 36, 15), "info", "hello"), (utc(2008, 11, 9, 20, 38, 7), "warn", "slow")],
    ),
    "an HTTP status as the level, with a 0 among them": (
        "edge.jsonl",
        [
            {"ts": "2024-05-01T10:00:00Z", "level": 0, "message": "aborted"},
            {"ts": "2024-05-01T10:00:01Z", "level": 200, "message": "GET /"},
            {"ts": "2024-05-01T10:00:02Z", "level": 504, "message": "GET /slow"},
        ],
        [],
        ["--level-scale", "http", "--level-map", "0=unknown"],  # never 504=info: a 5xx stays an error
        (3, 3, 0),
        [
            (utc(2024, 5, 1, 10, 0, 0), "unknown", "aborted"),
            (utc(2024, 5, 1, 10, 0, 1), "info", "GET /"),
            (utc(2024, 5, 1, 10, 0, 2), "error", "GET /slow"),
        ],
    ),
    "level words of no vocabulary": (
        "app.jsonl",
        [
            {"ts": "2024-05-01T10:00:00Z", "level": "Errors", "message": "a"},
            {"ts": "2024-05-01T10:00:01Z", "level": "chatter", "message": "b"},
        ],
        [],
        ["--level-map", "Errors=error,chatter=unknown"],  # a word that opens like a level word is that level
        (2, 2, 0),
        [(utc(2024, 5, 1, 10, 0, 0), "error", "a"), (utc(2024, 5, 1, 10, 0, 1), "unknown", "b")],
    ),
    "numbers that fit several scales": (
        "app.jsonl",
        [
            {"time": "2023-10-01T02:39:09Z", "level": 1, "message": "scanned"},
            {"time": "2023-10-01T02:39:10Z", "level": 3, "message": "scan failed"},
        ],
        [],
        ["--level-scale", "syslog"],  # the first of the four named, each with what it makes of 1 and 3
        (2, 2, 0),
        [(utc(2023, 10, 1, 2, 39, 9), "fatal", "scanned"), (utc(2023, 10, 1, 2, 39, 10), "error", "scan failed")],
    ),
    "a text log no profile reads, pipes between its parts": (
        "app.log",
        ["2024/05/01-10:00:00 | ERROR | disk full", "2024/05/01-10:00:01 | INFO | cleaned"],
        [],
        [
            "--pattern",
            r"^(?P<ts>\d+/\d+/\d+\-\d+:\d+:\d+)\s+\S+\s+(?P<level>\w+)\s*(?:[|:-]\s+)?(?P<message>.*)$",
            "--ts-format",
            "%Y/%m/%d-%H:%M:%S",
        ],
        (2, 2, 0),
        [(utc(2024, 5, 1, 10, 0, 0), "error", "disk full"), (utc(2024, 5, 1, 10, 0, 1), "info", "cleaned")],
    ),
    "a text log no profile reads, a word before the level": (
        "app.log",
        ["[2024-05-01 10:00:00] {main} ERROR - disk full", "[2024-05-01 10:00:01] {main} INFO - cleaned"],
        [],
        ["--pattern", r"^\[(?P<ts>\d+\-\d+\-\d+ \d+:\d+:\d+)\]\s+\S+\s+(?P<level>\w+)\s*(?:[|:-]\s+)?(?P<message>.*)$"],
        (2, 2, 0),
        [(utc(2024, 5, 1, 10, 0, 0), "error", "disk full"), (utc(2024, 5, 1, 10, 0, 1), "info", "cleaned")],
    ),
    "a text log of no level": (
        "app.log",
        ["2024-05-01T10:00:00Z started", "2024-05-01T10:00:01Z stopped"],
        [],
        [
            "--pattern",
            r"^(?P<ts>\d+\-\d+\-\d+[A-Za-z]+\d+:\d+:\d+[A-Za-z]+)\s*(?P<message>.*)$",
            "--set",
            "level=unknown",
        ],
        (2, 2, 0),
        [(utc(2024, 5, 1, 10, 0, 0), "unknown", "started"), (utc(2024, 5, 1, 10, 0, 1), "unknown", "stopped")],
    ),
    "a pattern that takes the zone for the level": (
        "postgresql.log",
        TEXT_PDT.splitlines(),
        ["--pattern", r"^(?P<ts>\S+ \S+) (?P<level>\S+) (?P<message>.*)$"],
        [
            "--pattern",
            r"^(?P<ts>\d+\-\d+\-\d+ \d+:\d+:\d+\.\d+ [A-Za-z]+)\s+\S+\s+(?P<level>\w+):"
            r"\s*(?:[|:-]\s+)?(?P<message>.*)$",
            "--level-map",
            "LOG=unknown",  # postgres's LOG is no word of the vocabularies: said unknown, not guessed
        ],
        (2, 2, 0),
        # PDT is UTC-7: 10:00:00.123 PDT is 17:00:00.123 UTC
        [
            (utc(2023, 5, 1, 17, 0, 0, 123000), "unknown", "database system is ready to accept connections"),
            (utc(2023, 5, 1, 17, 0, 5, 500000), "error", 'relation "users" does not exist'),
        ],
    ),
    "MongoDB's time inside an object": (
        "mongod.jsonl",
        [
            {"t": {"$date": "2024-05-01T10:00:00.000+00:00"}, "s": "E", "c": "NETWORK", "msg": "socket closed"},
            {"t": {"$date": "2024-05-01T10:00:01.500+00:00"}, "s": "I", "c": "NETWORK", "msg": "reconnected"},
        ],
        ["--kind", "error", "--map", "level=s", "--map", "message=msg"],
        ["--map", "ts=t.$date"],
        (2, 2, 0),
        [
            (utc(2024, 5, 1, 10, 0, 0), "error", "socket closed"),
            (utc(2024, 5, 1, 10, 0, 1, 500000), "info", "reconnected"),
        ],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_hint_followed_loads_the_file_exactly(runner, tmp_path, case):
    name, lines, flags, expected_flags, counts, expected_rows = CASES[case]
    path = write_lines(tmp_path / name, lines)
    refused = runner.invoke(app, ["ingest", str(path), "--db", str(tmp_path / "refused.duckdb"), *flags])
    assert refused.exit_code == 1, refused.output
    assert suggested(refused.output) == expected_flags
    database = tmp_path / "followed.duckdb"
    followed = runner.invoke(app, ["ingest", str(path), "--db", str(database), *flags, *suggested(refused.output)])
    assert followed.exit_code == 0, followed.output
    assert rows(database, "select lines_read, loaded, rejected from files") == [counts]
    assert rows(database, "select ts, level, message from error_events order by ts") == expected_rows


def test_a_hint_that_cannot_name_a_field_says_what_the_file_has(runner, tmp_path):
    path = write_lines(
        tmp_path / "app.jsonl",
        [{"id": "a1", "level": "error", "message": "boom"}, {"id": "a2", "level": "info", "message": "ok"}],
    )
    refused = runner.invoke(app, ["ingest", str(path), "--db", str(tmp_path / "pm.duckdb"), "--kind", "error"])
    assert refused.exit_code == 1
    said = " ".join(refused.output.split())
    assert "none holds ts (its first record: id='a1', level='error', message='boom')" in said
    assert "FIELD" not in said and "VALUE" not in said and "FORMAT" not in said


def test_lines_with_no_time_at_all_are_told_so_not_given_a_pattern_to_write(runner, tmp_path):
    # Android logcat's brief format (`logcat -v brief`) writes priority/tag(pid): message and no time
    path = tmp_path / "brief.log"
    path.write_text(
        "D/dalvikvm( 1234): GC_CONCURRENT freed 512K, 51% free\n"
        "E/AndroidRuntime( 2345): FATAL EXCEPTION: main\n"
        "W/System.err( 2345): java.lang.NullPointerException\n"
    )
    refused = runner.invoke(app, ["ingest", str(path), "--db", str(tmp_path / "pm.duckdb"), "--kind", "error"])
    assert refused.exit_code == 1
    said = " ".join(refused.output.split())
    assert "its first lines hold no time of day or date" in said and "adb logcat -v threadtime" in said
    # a line with a time that is not at its start is not told it has none
    path.write_text("E/AndroidRuntime( 2345) at 10:15:02: FATAL EXCEPTION: main\n")
    refused = runner.invoke(app, ["ingest", str(path), "--db", str(tmp_path / "pm2.duckdb"), "--kind", "error"])
    assert refused.exit_code == 1 and "--pattern" in refused.output and "no time of day" not in refused.output


def test_a_day_first_or_month_first_date_is_not_guessed():
    assert hints.ts_format(["03/04/2024 10:00:00"]) is None  # 3 April or March 4th: for the user to say
    assert hints.ts_format(["03/04/2024 10:00:00", "03/17/2024 10:00:00"]) == "%m/%d/%Y %H:%M:%S"


def test_no_hint_names_fields_where_no_line_was_read_as_a_record(runner, tmp_path):
    # lnav's logfile_w3c.5: 17 values under a 6-column #Fields line; the reason says so, no field can be named
    path = tmp_path / "u_ex.log"
    path.write_text("#Fields: date time s-ip cs-method\n2015-01-13 00:32:17 100.79.192.81 GET /robots.txt - 80\n")
    refused = runner.invoke(app, ["ingest", str(path), "--db", str(tmp_path / "pm.duckdb"), "--kind", "error"])
    assert refused.exit_code == 1
    assert "every line rejected: 7 values for the 4 columns of the directive above (1)" in refused.output
    assert "hint:" not in refused.output
