"""Real logs nobody here wrote (tests/data/real_logs, see NOTICE.md there) load as they come: at most one flag or
profile each, with exact counts. Each expectation is computed independently of the tool, by a few lines of
Python reading the file (or, where noted, by hand from the file), never from the tool's own output."""

import csv
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from postmortem import db
from postmortem.cli import app

REAL = Path(__file__).parent / "data" / "real_logs"
LEVEL_WORDS = {"INFO": "info", "WARN": "warn", "ERROR": "error", "FATAL": "fatal", "DEBUG": "debug", "TRACE": "debug"}


def load(runner, tmp_path, name, *flags):
    database = tmp_path / "real.duckdb"
    result = runner.invoke(app, ["ingest", str(REAL / name), "--db", str(database), *flags])
    assert result.exit_code == 0, result.output
    return db.connect(database, read_only=True)


def levels(con) -> dict:
    return dict(con.sql("select level, count(*) from error_events group by level").fetchall())


def ts_range(con):
    return con.sql("select min(ts), max(ts) from error_events").fetchall()[0]


def text_lines(name: str) -> list[str]:
    return [line for line in (REAL / name).read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]


# name, flags, the level word's position in a line, timestamp (first tokens joined, strptime format)
LOGHUB_TEXT = [
    ("loghub/HDFS_2k.log", [], 3, (2, "%y%m%d %H%M%S")),
    ("loghub/Hadoop_2k.log", [], 2, (2, "%Y-%m-%d %H:%M:%S,%f")),
    ("loghub/Spark_2k.log", [], 2, (2, "%y/%m/%d %H:%M:%S")),
]


@pytest.mark.parametrize(("name", "flags", "level_at", "ts_form"), LOGHUB_TEXT)
def test_loghub_text_logs_load_with_no_flag(runner, tmp_path, name, flags, level_at, ts_form):
    lines = text_lines(name)
    words, form = ts_form
    expected_levels = Counter(LEVEL_WORDS[line.split()[level_at]] for line in lines)
    stamps = [datetime.strptime(" ".join(line.split()[:words]), form).replace(tzinfo=UTC) for line in lines]
    with load(runner, tmp_path, name, *flags) as con:
        (loaded, rejected, duplicates, fmt) = con.sql(
            "select loaded, rejected, duplicates, format from files"
        ).fetchall()[0]
        # every line is its own record: 2,000 lines, none rejected, no identical line dropped (a text log's
        # repeats are real), every level as written
        assert (loaded, rejected, duplicates, fmt) == (len(lines), 0, 0, "text")
        assert levels(con) == dict(expected_levels)
        assert ts_range(con) == (min(stamps), max(stamps))


def test_hdfs_levels_by_hand(runner, tmp_path):
    # grep -c ' INFO ' / ' WARN ' HDFS_2k.log: 1920 and 80
    with load(runner, tmp_path, "loghub/HDFS_2k.log") as con:
        assert levels(con) == {"info": 1920, "warn": 80}


@pytest.mark.parametrize("name", ["loghub/Linux_2k.log", "loghub/Mac_2k.log"])
def test_syslog_without_year_or_severity_loads_with_year(runner, tmp_path, name):
    lines = text_lines(name)
    stamps = [
        datetime.strptime("2005 " + re.sub(r"\s+", " ", line[:15]), "%Y %b %d %H:%M:%S").replace(tzinfo=UTC)
        for line in lines
    ]
    with load(runner, tmp_path, name, "--year", "2005") as con:
        assert con.sql("select loaded, rejected, continued from files").fetchall()[0] == (len(lines), 0, 0)
        # RFC 3164 lines without <PRI> carry no severity: said as unknown, never guessed as info
        assert levels(con) == {"unknown": len(lines)}
        assert ts_range(con) == (min(stamps), max(stamps))


def test_syslog_program_names_become_services(runner, tmp_path):
    with load(runner, tmp_path, "loghub/Linux_2k.log", "--year", "2005") as con:
        services = dict(con.sql("select service, count(*) from error_events group by all").fetchall())
    # by hand from the file: line 1 is `combo sshd(pam_unix)[19939]: ...`; `syslogd 1.4.1: restart.` lines
    assert services["sshd(pam_unix)"] == sum(
        1 for line in text_lines("loghub/Linux_2k.log") if " sshd(pam_unix)[" in line
    )
    assert services["syslogd"] == 7


def test_thunderbird_alert_tags_are_levels(runner, tmp_path):
    lines = text_lines("loghub/Thunderbird_2k.log")
    alerts = sum(1 for line in lines if not line.startswith("- "))
    with load(runner, tmp_path, "loghub/Thunderbird_2k.log") as con:
        assert con.sql("select loaded, rejected from files").fetchall()[0] == (len(lines), 0)
        assert levels(con) == {k: v for k, v in {"unknown": len(lines) - alerts, "error": alerts}.items() if v}
        epochs = [int(line.split()[1]) for line in lines]
        assert ts_range(con) == tuple(datetime.fromtimestamp(e, UTC) for e in (min(epochs), max(epochs)))


@pytest.mark.parametrize(
    ("name", "flags"),
    [
        ("loghub/HDFS_2k.log_structured.csv", []),
        ("loghub/Hadoop_2k.log_structured.csv", []),
        ("loghub/Spark_2k.log_structured.csv", []),
        ("loghub/Thunderbird_2k.log_structured.csv", []),
        # Loghub's Linux CSV holds the host name in its Level column: one flag says the log has no severity
        ("loghub/Linux_2k.log_structured.csv", ["--set", "level=unknown"]),
    ],
)
def test_loghub_structured_csv_loads_as_it_is(runner, tmp_path, name, flags):
    with open(REAL / name, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with load(runner, tmp_path, name, *flags) as con:
        assert con.sql("select loaded, rejected, format from files").fetchall()[0] == (len(rows), 0, "csv")
        messages = Counter(m for (m,) in con.sql("select message from error_events").fetchall())
        assert messages == Counter(row["Content"] for row in rows)


def test_loghub_csv_date_and_time_columns_make_one_timestamp(runner, tmp_path):
    with open(REAL / "loghub/HDFS_2k.log_structured.csv", newline="") as f:
        stamps = [
            datetime.strptime(f"{r['Date']} {r['Time']}", "%y%m%d %H%M%S").replace(tzinfo=UTC)
            for r in csv.DictReader(f)
        ]
    with load(runner, tmp_path, "loghub/HDFS_2k.log_structured.csv") as con:
        assert ts_range(con) == (min(stamps), max(stamps))


def test_map_with_plus_joins_columns_on_the_command_line(runner, tmp_path):
    with open(REAL / "loghub/Spark_2k.log_structured.csv", newline="") as f:
        stamps = [
            datetime.strptime(f"{r['Date']} {r['Time']}", "%y/%m/%d %H:%M:%S").replace(tzinfo=UTC)
            for r in csv.DictReader(f)
        ]
    flags = ["--format", "csv", "--kind", "error", "--map", "ts=Date+Time", "--map", "message=Content"]
    with load(runner, tmp_path, "loghub/Spark_2k.log_structured.csv", *flags) as con:
        assert ts_range(con) == (min(stamps), max(stamps))


@pytest.mark.parametrize(
    ("name", "flags", "loaded", "rejected", "level_counts"),
    [
        # by hand: 14 lines; line 6 has ts "xxx", line 10 level STATS; DEBUG2..5 read as debug
        ("lnav/logfile_json.json", [], 12, 2, {"debug": 6, "info": 2, "warn": 1, "error": 1, "fatal": 2}),
        # nested @fields.lvl / @fields.msg; line 9 level STATS
        ("lnav/logfile_nested_json.json", [], 12, 1, {"debug": 6, "info": 2, "warn": 1, "error": 1, "fatal": 2}),
        # line 3 is cut off mid-string (invalid JSON)
        ("lnav/logfile_invalid_json.json", [], 4, 1, {"debug": 3, "info": 1}),
        # numeric levels 0 and 10 of no common scale: one flag says what they mean
        ("lnav/logfile_json2.json", ["--level-map", "0=info,10=error"], 3, 0, {"info": 2, "error": 1}),
        # nested JSON of an nginx access record: a team's profile file
        (
            "lnav/logfile_json3.json",
            ["--profile", str(REAL / "nginx_json.toml")],
            3,
            0,
            {"info": 1, "error": 1, "warn": 1},
        ),
        ("lnav/logfile_rust_tracing.0", [], 5, 0, {"info": 2, "debug": 1, "warn": 1, "error": 1}),
        ("lnav/logfile_java.0", [], 20, 0, None),
        ("lnav/logfile_crlf.0", [], 2, 0, {"debug": 1, "warn": 1}),
        ("lnav/logfile_access_log.0", [], 3, 0, {"info": 2, "warn": 1}),
        ("lnav/logfile_syslog.0", ["--year", "2009"], 4, 0, {"unknown": 4}),
    ],
)
def test_lnav_logs(runner, tmp_path, name, flags, loaded, rejected, level_counts):
    with load(runner, tmp_path, name, *flags) as con:
        assert con.sql("select loaded, rejected from files").fetchall()[0] == (loaded, rejected)
        if level_counts:
            assert levels(con) == level_counts


def test_access_log_keeps_status_and_request(runner, tmp_path):
    with load(runner, tmp_path, "lnav/logfile_access_log.0") as con:
        rows = con.sql("select ts, level, code, message from error_events order by ts, message").fetchall()
    # by hand from the three lines of the file
    assert rows[0] == (datetime(2009, 7, 20, 22, 59, 26, tzinfo=UTC), "info", "200", "GET /vmw/cgi/tramp HTTP/1.0")
    assert [code for _, _, code, _ in rows] == ["200", "404", "200"]


def test_nested_fields_that_are_not_mapped_are_kept(runner, tmp_path):
    import json

    with load(runner, tmp_path, "lnav/logfile_nested_json.json") as con:
        extras = [
            json.loads(e) for (e,) in con.sql("select extra from error_events where extra is not null").fetchall()
        ]
    # `@fields` is only partly ours (lvl, msg): the whole object stays in extra, user included
    assert {"lvl": "INFO", "msg": "Shutting down service", "user": "steve@example.com"} in [
        e["@fields"] for e in extras
    ]


def test_every_real_file_gets_a_report(runner, tmp_path):
    database = tmp_path / "all.duckdb"
    for name, flags in [("loghub/Hadoop_2k.log", []), ("loghub/HDFS_2k.log", [])]:
        result = runner.invoke(app, ["ingest", str(REAL / name), "--db", str(database), *flags])
        assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["report", "--db", str(database), "--format", "json", "-o", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r.json").stat().st_size > 0


def test_a_log_without_severity_is_never_an_all_clear(runner, tmp_path):
    database = tmp_path / "linux.duckdb"
    result = runner.invoke(app, ["ingest", str(REAL / "loghub/Linux_2k.log"), "--year", "2005", "--db", str(database)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "r.md"
    result = runner.invoke(app, ["report", "--db", str(database), "--format", "md", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "2,000 of its records carry no severity" in text
    assert "no error count here is an all-clear" in text
