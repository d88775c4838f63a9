"""Never a wrong load: numeric level scales, --default, year-less timestamps, recognition by score, directive
lines. Every refusal's hint is followed here, and the file it names then loads exactly."""

import os
import re
import shlex
from datetime import UTC, datetime

import duckdb
import pytest
from conftest import write_lines

from postmortem import mapping, profiles, recognition, staging
from postmortem.cli import app


def run(runner, *args):
    return runner.invoke(app, [str(a) for a in args])


def follow(runner, result, path, database, *flags):
    """The flags a refusal suggests (the text between backticks after "try"), run on the same file."""
    assert result.exit_code == 1, result.output
    suggested = re.search(r"try `([^`]+)`", result.output)
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
    assert "--level-scale NAME, one of: syslog (1=fatal, 3=error); nextcloud (1=info, 3=error)" in refused.output
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


# --- recognition by score -------------------------------------------------------------------------------------


def test_a_zone_abbreviation_is_never_a_level():
    plain = mapping.Mapping()
    assert [recognition.valid_level(t, plain) for t in ("PDT", "UTC", "CEST", "gmt", "ERROR", "warning")] == [
        False,
        False,
        False,
        False,
        True,
        True,
    ]
    # even a level map naming it does not make a zone a level
    assert not recognition.valid_level("PDT", mapping.Mapping(level_map={"pdt": "info"}))


def test_postgres_stderr_with_a_zone_loads_by_score_with_no_flag(runner, tmp_path):
    # log4j-like patterns would read `PDT` as the level; scoring counts that record as read wrong
    path = tmp_path / "postgresql-Mon.log"
    path.write_text(
        "2023-05-01 10:00:00.123 PDT [123] LOG:  database system is ready to accept connections\n"
        '2023-05-01 10:00:05.500 PDT [124] ERROR:  relation "users" does not exist at character 15\n'
    )
    database = tmp_path / "pm.duckdb"
    result = run(runner, "ingest", path, "--db", database)
    assert result.exit_code == 0, result.output
    # PDT is UTC-7: 10:00:00.123 PDT is 17:00:00.123 UTC
    assert rows(database, "select ts, level from error_events order by ts") == [
        (utc(2023, 5, 1, 17, 0, 0, 123000), "info"),
        (utc(2023, 5, 1, 17, 0, 5, 500000), "error"),
    ]


def _profile(name: str, pattern: str) -> profiles.Profile:
    text = f"format = 'text'\nkind = 'error'\npattern = '{pattern}'\n"
    return profiles.parse(text, name, name)


def test_two_profiles_reading_a_file_equally_are_a_refusal_and_the_hint_loads_it(runner, tmp_path, monkeypatch):
    same = r"^(?P<ts>\S+) (?P<level>\w+) (?P<message>.*)$"
    twins = {"alpha": _profile("alpha", same), "beta": _profile("beta", same)}
    monkeypatch.setattr(profiles, "built_in", lambda: twins)
    path = tmp_path / "app.log"
    path.write_text("2024-05-01T10:00:00Z ERROR disk full\n2024-05-01T10:00:01Z INFO cleaned\n")
    database = tmp_path / "pm.duckdb"
    refused = run(runner, "ingest", path, "--db", database)
    assert "more than one built-in format reads this file equally well" in refused.output
    assert "alpha (2 of 2 records" in refused.output and "beta (2 of 2 records" in refused.output
    followed = follow(runner, refused, path, database)
    assert followed.exit_code == 0, followed.output
    assert rows(database, "select level, message from error_events order by ts") == [
        ("error", "disk full"),
        ("info", "cleaned"),
    ]


def test_a_poor_best_is_a_refusal_naming_the_closest(runner, tmp_path, monkeypatch):
    only = {"alpha": _profile("alpha", r"^(?P<ts>\S+) (?P<level>\w+) (?P<message>.*)$")}
    monkeypatch.setattr(profiles, "built_in", lambda: only)
    path = tmp_path / "app.log"
    # 4 lines: the pattern matches 3, but only line 1 has a timestamp and a level: (3 - 2 bad) / 4 = 25%
    path.write_text("2024-05-01T10:00:00Z ERROR disk full\nhello there world\nnoise PDT x\nplain\n")
    result = run(runner, "ingest", path, "--db", tmp_path / "pm.duckdb")
    assert result.exit_code == 1
    assert "no built-in format reads most of this file" in result.output
    assert "closest: alpha (1 of 4 records read with a valid time and level)" in result.output


def test_timestamps_valid_as_staging_reads_them():
    cases = {
        "2023-05-01 10:00:00.123 PDT": True,
        "2015-10-18 18:01:47,978": True,
        "20/Jul/2009:22:59:29 +0000": True,
        "Jun 14 15:16:01": True,  # year-less syslog, given a year
        "1684965600123": True,  # epoch milliseconds
        "12": False,  # a counter, not 1970
        "PDT": False,
        "hello": False,
    }
    assert {text: recognition.valid_ts(text, []) for text in cases} == cases


# --- year-less timestamps -------------------------------------------------------------------------------------


def test_a_year_less_ts_format_takes_the_modification_year_and_says_so(runner, tmp_path):
    log = tmp_path / "app.log"
    log.write_text("03-17 16:13:38.811 E boom\n03-17 16:13:39.000 I fine\n")
    june_2019 = datetime(2019, 6, 1, tzinfo=UTC).timestamp()
    os.utime(log, (june_2019, june_2019))
    pattern = r"^(?P<ts>\S+ \S+) (?P<level>\w) (?P<message>.*)$"
    flags = ["--pattern", pattern, "--ts-format", "%m-%d %H:%M:%S.%f", "--set", "service=app"]
    database = tmp_path / "a.duckdb"
    result = run(runner, "ingest", log, "--db", database, *flags)
    assert result.exit_code == 0, result.output
    assert "timestamps without a year read as 2019 (the file's modification year; --year to choose)" in " ".join(
        result.output.split()
    )
    assert rows(database, "select ts from error_events order by ts") == [
        (utc(2019, 3, 17, 16, 13, 38, 811000),),
        (utc(2019, 3, 17, 16, 13, 39),),
    ]
    chosen = tmp_path / "b.duckdb"
    result = run(runner, "ingest", log, "--db", chosen, *flags, "--year", "2017")
    assert result.exit_code == 0, result.output
    assert "read as 2017" in result.output and "modification year" not in result.output
    assert rows(chosen, "select min(year(ts)), max(year(ts)) from error_events") == [(2017, 2017)]


# --- directive lines define the columns -----------------------------------------------------------------------


def test_zeek_fields_directives_define_and_switch_the_columns(runner, tmp_path):
    tab = "\t"
    path = tmp_path / "notice.log"
    path.write_text(
        "#separator \\x09\n"
        f"#fields{tab}ts{tab}note{tab}msg\n"
        f"#types{tab}time{tab}string{tab}string\n"
        f"1320279554.5{tab}error{tab}port scan\n"
        "\n"
        f"1320279555.5{tab}warn{tab}-\n"  # `-` is Zeek's unset field: no message, rejected
        f"#fields{tab}msg{tab}ts{tab}note\n"  # the columns switch: msg first now
        f"tls expired{tab}1320279556.5{tab}info\n"
        f"#close{tab}2011-11-03-00-29-16\n"
    )
    database = tmp_path / "pm.duckdb"
    flags = ["--kind", "error", "--map", "level=note", "--map", "message=msg", "--set", "service=zeek"]
    result = run(runner, "ingest", path, "--db", database, *flags)
    assert result.exit_code == 0, result.output
    # 9 lines: 5 `#` lines and 1 empty line count as blank; 3 records, 2 loaded, 1 rejected (no message)
    assert rows(database, "select lines_read, blank, loaded, rejected, format from files") == [
        (9, 6, 2, 1, "directive")
    ]
    assert rows(database, "select epoch(ts), level, message from error_events order by ts") == [
        (1320279554.5, "error", "port scan"),
        (1320279556.5, "info", "tls expired"),  # read by the second directive's column order
    ]
    assert rows(database, "select line, reason from rejects") == [(6, "missing required field message")]


def test_w3c_fields_and_date_directives(runner, tmp_path):
    path = tmp_path / "u_ex.log"
    path.write_text(
        "#Software: Microsoft Internet Information Services 10.0\n"
        "#Date: 2024-05-01 10:00:00\n"
        "#Fields: time cs-method cs-uri-stem sc-status\n"
        "10:00:01 GET /a 200\n"
        "10:00:02 GET /b 504\n"
        "#Date: 2024-05-02 00:00:00\n"  # a new day: rows under it take its date
        "#Fields: date time cs-method cs-uri-stem sc-status\n"
        "2024-05-02 00:00:03 POST /c 201\n"
    )
    database = tmp_path / "pm.duckdb"
    flags = ["--kind", "error", "--map", "ts=date+time", "--map", "level=sc-status", "--map", "message=cs-uri-stem"]
    result = run(runner, "ingest", path, "--db", database, *flags, "--set", "service=iis")
    assert result.exit_code == 0, result.output
    # 8 lines: 5 directive lines (blank), 3 records all loaded; statuses on the http scale (the only one they fit)
    assert rows(database, "select lines_read, blank, loaded, rejected from files") == [(8, 5, 3, 0)]
    assert rows(database, "select ts, level, message from error_events order by ts") == [
        (utc(2024, 5, 1, 10, 0, 1), "info", "/a"),
        (utc(2024, 5, 1, 10, 0, 2), "error", "/b"),
        (utc(2024, 5, 2, 0, 0, 3), "info", "/c"),
    ]


# --- nested fields and structured data ------------------------------------------------------------------------


def test_a_field_holding_an_object_gets_a_hint_naming_the_value_inside(runner, tmp_path):
    # MongoDB-like, without the fields its profile is told by: `t` (a ts alias) holds {"$date": ...}
    path = write_lines(
        tmp_path / "mongod.jsonl",
        [
            {"t": {"$date": "2024-05-01T10:00:00.000+00:00"}, "s": "E", "c": "NETWORK", "msg": "socket closed"},
            {"t": {"$date": "2024-05-01T10:00:01.500+00:00"}, "s": "I", "c": "NETWORK", "msg": "reconnected"},
        ],
    )
    database = tmp_path / "pm.duckdb"
    flags = ["--kind", "error", "--map", "level=s", "--map", "service=c", "--map", "message=msg"]
    refused = run(runner, "ingest", path, "--db", database, *flags)
    assert "try `--map 'ts=t.$date'`" in " ".join(refused.output.split())
    followed = follow(runner, refused, path, database, *flags)
    assert followed.exit_code == 0, followed.output
    assert rows(database, "select ts, level, service, message from error_events order by ts") == [
        (utc(2024, 5, 1, 10, 0, 0), "error", "NETWORK", "socket closed"),
        (utc(2024, 5, 1, 10, 0, 1, 500000), "info", "NETWORK", "reconnected"),
    ]


def test_rfc5424_structured_data_parameters_by_map(runner, tmp_path):
    path = tmp_path / "events.log"
    path.write_text(
        '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"'
        ' eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] An application event\n'
        "<163>1 2003-10-11T22:14:16.003Z mymachine.example.com evntslog - ID48 - no structured data\n"
    )
    database = tmp_path / "pm.duckdb"
    result = run(runner, "ingest", path, "--db", database, "--map", "code=sd.eventID", "--map", "user_id=sd.iut")
    assert result.exit_code == 0, result.output
    # PRI 165 = facility 20 * 8 + severity 5 (notice: info); 163 = 20 * 8 + 3 (error)
    assert rows(database, "select level, code, user_id, message from error_events order by ts") == [
        ("info", "1011", "3", "An application event"),
        ("error", None, None, "no structured data"),
    ]


@pytest.mark.parametrize("one_pass", [True, False])
def test_rejected_logfmt_and_directive_lines_are_kept_as_written(runner, tmp_path, monkeypatch, one_pass):
    # the rejects table holds the user's line, never the JSON object it was read as
    monkeypatch.setattr(staging, "_in_one_pass", lambda log: one_pass)
    logfmt = tmp_path / "app.log"
    logfmt.write_text(
        'ts=2024-05-01T10:00:00Z level=info msg="a b" service=api\n'
        'ts=bad level=info msg="c \\"d\\"" service=api\n'  # a quoted value with escapes: kept as written
        "ts=2024-05-01T10:00:02Z level=info msg=x msg=y\n"
    )
    database = tmp_path / "logfmt.duckdb"
    result = run(runner, "ingest", logfmt, "--db", database, "--format", "logfmt", "--kind", "error")
    assert result.exit_code == 0, result.output
    assert rows(database, "select line, reason, raw from rejects order by line") == [
        (2, "unparseable timestamp: bad", 'ts=bad level=info msg="c \\"d\\"" service=api'),
        (3, "a key appears twice in the logfmt line", "ts=2024-05-01T10:00:02Z level=info msg=x msg=y"),
    ]
    tab = "\t"
    zeek = tmp_path / "notice.log"
    zeek.write_text(
        f"#fields{tab}ts{tab}note{tab}msg\n"
        f"1320279554.5{tab}error{tab}port scan\n"
        f"1320279555.5{tab}warn{tab}-\n"
        f"only{tab}two\n"
    )
    database = tmp_path / "zeek.duckdb"
    flags = ["--kind", "error", "--map", "level=note", "--map", "message=msg", "--set", "service=zeek"]
    result = run(runner, "ingest", zeek, "--db", database, *flags)
    assert result.exit_code == 0, result.output
    assert rows(database, "select line, reason, raw from rejects order by line") == [
        (3, "missing required field message", f"1320279555.5{tab}warn{tab}-"),
        (4, "2 values for the 3 columns of the directive above", f"only{tab}two"),
    ]
