"""The real-logs contract: --map/--set/--ts-format/--level-map/--format/--pattern/--profile, recognition by
content, --dedup, files rejected whole, --replace. Small hand-written logs with hand-computed answers."""

import gzip
import json
import tomllib
from datetime import UTC, datetime

import pytest
from conftest import write_lines

from postmortem import db
from postmortem.cli import app
from postmortem.errors import InputError
from postmortem.ingest import Options, ingest
from postmortem.mapping import parse_options
from postmortem.profiles import BUILT_IN


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def errors(con, columns="ts, service, level, message"):
    return con.sql(f"select {columns} from error_events order by ts, message").fetchall()


def run(runner, *args):
    return runner.invoke(app, [str(a) for a in args])


# --- --map / --set --------------------------------------------------------------------------------------


def test_map_matches_case_insensitively_and_joins_parts_with_a_space(con, tmp_path):
    path = tmp_path / "svc.csv"
    path.write_text("DATE,Time,LVL,Text\n2024-05-01,10:00:00,Error,boom\n")
    mapping = parse_options(["ts=date+TIME", "level=lvl", "message=text"], ["service=api"])
    (f,) = ingest(con, [path], Options(mapping=mapping)).files
    assert (f.kind, f.loaded, f.rejected) == ("error", 1, 0)
    assert errors(con) == [(utc(2024, 5, 1, 10), "api", "error", "boom")]


def test_map_finds_a_literal_dotted_key_and_a_nested_path(con, tmp_path):
    path = write_lines(
        tmp_path / "app.jsonl",
        [
            {"@timestamp": "2024-05-01T10:00:00Z", "log.level": "warn", "message": "literal key"},
            {"@timestamp": "2024-05-01T10:00:01Z", "log": {"level": "error"}, "message": "nested path"},
        ],
    )
    ingest(con, [path], Options(mapping=parse_options(["level=log.level"], ["service=api"])))
    assert [(lvl, msg) for _, _, lvl, msg in errors(con)] == [("warn", "literal key"), ("error", "nested path")]


def test_map_to_a_field_the_file_lacks_is_an_input_error(con, tmp_path):
    path = write_lines(tmp_path / "app.jsonl", [{"ts": "2024-05-01T10:00:00Z", "msg": "m"}])
    with pytest.raises(InputError, match=r"--map level=severity: no such field in the file \(it has: msg, ts\)"):
        ingest(con, [path], Options(kind="error", mapping=parse_options(["level=severity"])))


@pytest.mark.parametrize("bad", ["ts", "nosuch=x", "ts="])
def test_malformed_map_is_an_input_error(bad):
    with pytest.raises(InputError):
        parse_options([bad])


# --- timestamps -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-10-18 18:01:47,978", utc(2015, 10, 18, 18, 1, 47, 978000)),  # comma before the milliseconds
        ("Sun Dec 04 04:47:44 2005", utc(2005, 12, 4, 4, 47, 44)),  # ctime
        ("081109 203615", utc(2008, 11, 9, 20, 36, 15)),  # compact
        ("20/Jul/2009:22:59:26 +0200", utc(2009, 7, 20, 20, 59, 26)),  # access log, offset honoured
        ("2023-05-24 22:00:00 UTC", utc(2023, 5, 24, 22)),
        ("2023-05-24 22:00:00 PDT", utc(2023, 5, 25, 5)),  # abbreviation DuckDB does not know
        ("2023-05-24 22:00:00 America/New_York", utc(2023, 5, 25, 2)),
        ("1684965600123456789", utc(2023, 5, 24, 22, 0, 0, 123457)),  # epoch nanoseconds (OTLP)
    ],
)
def test_common_timestamp_forms_need_no_flag(con, tmp_path, text, expected):
    path = write_lines(tmp_path / "e.jsonl", [{"ts": text, "service": "s", "level": "info", "message": "m"}])
    ingest(con, [path])
    assert con.sql("select ts from error_events").fetchall() == [(expected,)]


def test_zone_in_the_text_wins_over_tz(con, tmp_path):
    lines = [
        {"ts": t, "service": "s", "level": "info", "message": t}
        for t in (
            "2023-05-24 22:00:00 UTC",
            "2023-05-24 22:00:00 GMT",
            "2023-05-24 22:00:00 EST",
            "2023-05-24 22:00:00 PDT",
            "2023-05-24 22:00:00 Etc/GMT+5",
            "2023-05-24 22:00:00",
        )
    ]
    ingest(con, [write_lines(tmp_path / "e.jsonl", lines)], Options(tz="America/New_York"))
    got = dict(con.sql("select message, ts from error_events").fetchall())
    assert got == {
        "2023-05-24 22:00:00 UTC": utc(2023, 5, 24, 22),
        "2023-05-24 22:00:00 GMT": utc(2023, 5, 24, 22),
        "2023-05-24 22:00:00 EST": utc(2023, 5, 25, 3),  # EST = UTC-5
        "2023-05-24 22:00:00 PDT": utc(2023, 5, 25, 5),  # PDT = UTC-7
        "2023-05-24 22:00:00 Etc/GMT+5": utc(2023, 5, 25, 3),  # POSIX sign: GMT+5 is UTC-5
        "2023-05-24 22:00:00": utc(2023, 5, 25, 2),  # naive: --tz, EDT = UTC-4
    }


def test_ts_format_flag_and_syslog_year(con, tmp_path):
    path = tmp_path / "e.jsonl"
    write_lines(
        path,
        [
            {"ts": "01.05.2024 10:00", "service": "s", "level": "info", "message": "dotted"},
            {"ts": "May  1 10:00:00", "service": "s", "level": "info", "message": "syslog"},
        ],
    )
    ingest(con, [path], Options(mapping=parse_options(ts_formats=["%d.%m.%Y %H:%M"]), year=2024))
    assert [ts for ts, *_ in errors(con)] == [utc(2024, 5, 1, 10), utc(2024, 5, 1, 10)]


@pytest.mark.parametrize("text", ["10000-01-01T00:00:00Z", "-0001-01-01T00:00:00Z", "294247-01-01T00:00:00Z"])
def test_timestamps_outside_years_1_to_9999_are_one_reject(con, tmp_path, text):
    good = {"ts": "2024-05-01T10:00:00Z", "service": "s", "level": "info", "message": "m"}
    path = write_lines(tmp_path / "e.jsonl", [good, {**good, "ts": text}])
    (f,) = ingest(con, [path]).files
    assert (f.loaded, f.rejected) == (1, 1)
    (reason,) = con.sql("select reason from rejects").fetchall()[0]
    assert reason.startswith(("timestamp outside years 1-9999", "unparseable timestamp"))


# --- levels ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            ["notice", "SEVERE", "TRACE", "crit", "alert", "emerg", "FINE", "WARNING"],
            ["info", "error", "debug", "fatal", "fatal", "fatal", "debug", "warn"],
        ),
        (["D", "I", "W", "E", "F"], ["debug", "info", "warn", "error", "fatal"]),
        ([10, 20, 30, 40, 50, 60], ["debug", "debug", "info", "warn", "error", "fatal"]),  # bunyan / pino
        ([0, 3, 4, 6, 7], ["fatal", "error", "warn", "info", "debug"]),  # syslog severities
    ],
)
def test_level_vocabularies_need_no_flag(con, tmp_path, values, expected):
    lines = [
        {"ts": f"2024-05-01T10:00:0{i}Z", "service": "s", "level": v, "message": "m"} for i, v in enumerate(values)
    ]
    ingest(con, [write_lines(tmp_path / "e.jsonl", lines)])
    assert [lvl for (lvl,) in con.sql("select level from error_events order by ts").fetchall()] == expected


def test_level_map_for_the_rest_and_a_catch_all(con, tmp_path):
    lines = [
        {"ts": f"2024-05-01T10:00:0{i}Z", "service": "s", "level": v, "message": "m"}
        for i, v in enumerate(["loud", "quiet", "odd"])
    ]
    ingest(
        con,
        [write_lines(tmp_path / "e.jsonl", lines)],
        Options(mapping=parse_options(level_maps=["loud=error,*=info"])),
    )
    assert [lvl for (lvl,) in con.sql("select level from error_events order by ts").fetchall()] == [
        "error",
        "info",
        "info",
    ]


# --- formats, patterns, profiles ------------------------------------------------------------------------


def test_formats_are_told_by_content_whatever_the_name(con, tmp_path):
    (tmp_path / "a.0").write_text('{"ts":"2024-05-01T10:00:00Z","service":"s","level":"info","message":"json"}\n')
    (tmp_path / "b").write_text("ts,service,level,message\n2024-05-01T10:00:01Z,s,info,csv\n")
    (tmp_path / "c.log").write_text('ts=2024-05-01T10:00:02Z level=warn service=s msg="log fmt" extra=1\n')
    (tmp_path / "d.txt").write_text("<11>1 2024-05-01T10:00:03Z host app 42 - - rfc 5424\n")
    summary = ingest(con, [tmp_path])
    assert [(f.format, f.profile, f.loaded) for f in summary.files] == [
        ("jsonl", None, 1),
        ("csv", None, 1),
        ("logfmt", "logfmt", 1),
        ("text", "syslog5424", 1),
    ]
    assert [(lvl, msg) for _, _, lvl, msg in errors(con)] == [
        ("info", "json"),
        ("info", "csv"),
        ("warn", "log fmt"),
        ("error", "rfc 5424"),  # <11> = facility 1, severity 3
    ]


def test_pattern_with_continuation_lines_joins_a_stack_trace(con, tmp_path):
    path = tmp_path / "app.log"
    path.write_text(
        "2024-05-01 10:00:00 ERROR boom\n  at a.b(C.java:1)\n  at d.e(F.java:2)\n\n2024-05-01 10:00:01 INFO fine\n"
    )
    pattern = r"^(?P<ts>\S+ \S+) (?P<level>[A-Z]+) (?P<message>.*)$"
    mapping = parse_options(sets=["service=app"], pattern=pattern, multiline=True)
    (f,) = ingest(con, [path], Options(mapping=mapping)).files
    # 5 lines: 2 records, 2 lines joined to the first, 1 blank
    assert (f.lines_read, f.loaded, f.rejected, f.continued, f.blank) == (5, 2, 0, 2, 1)
    assert errors(con)[0][3] == "boom\n  at a.b(C.java:1)\n  at d.e(F.java:2)"


def test_pattern_without_continuation_rejects_unmatched_lines(con, tmp_path):
    path = tmp_path / "app.log"
    path.write_text("2024-05-01 10:00:00 ERROR boom\nnot a record\n")
    mapping = parse_options(sets=["service=app"], pattern=r"^(?P<ts>\S+ \S+) (?P<level>[A-Z]+) (?P<message>.*)$")
    (f,) = ingest(con, [path], Options(mapping=mapping)).files
    assert (f.loaded, f.rejected) == (1, 1)
    assert con.sql("select line, reason, raw from rejects").fetchall() == [
        (2, "line does not match the pattern", "not a record")
    ]


def test_unrecognisable_text_says_which_flag_to_pass(con, tmp_path):
    path = tmp_path / "odd.log"
    path.write_text("hello there\nthis is no log\n")
    with pytest.raises(InputError, match=r"odd.log: cannot read this text log: .* pass --pattern"):
        ingest(con, [path])


@pytest.mark.parametrize("name", sorted(p.stem for p in BUILT_IN.glob("*.toml") if p.stem not in ("loghub", "ours")))
def test_every_built_in_profile_reads_its_example(con, tmp_path, name):
    example = tomllib.loads((BUILT_IN / f"{name}.toml").read_text())["example"]
    path = tmp_path / "example.log"
    path.write_text(example + "\n")
    (f,) = ingest(con, [path], Options(profile=name)).files
    assert (f.loaded, f.rejected) == (1, 0)


def test_otlp_json_gives_one_record_per_log_record_with_the_resource_service(con, tmp_path):
    def record(nanos, severity, text):
        return {"timeUnixNano": nanos, "severityNumber": severity, "body": {"stringValue": text}}

    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "relay"}}]}
    records = [record("1684965600000000000", 17, "timed out"), record("1684965601000000000", 9, "retrying")]
    doc = {"resourceLogs": [{"resource": resource, "scopeLogs": [{"logRecords": records}]}]}
    path = write_lines(tmp_path / "otlp.json", [doc])
    (f,) = ingest(con, [path]).files
    assert (f.profile, f.loaded) == ("otel", 2)
    assert errors(con) == [
        (utc(2023, 5, 24, 22), "relay", "error", "timed out"),
        (utc(2023, 5, 24, 22, 0, 1), "relay", "info", "retrying"),
    ]


def test_profile_file_holds_per_kind_settings(con, tmp_path):
    profile = tmp_path / "team.toml"
    profile.write_text('format = "jsonl"\n[error.map]\nmessage = "text"\n[error.set]\nservice = "edge"\n')
    path = write_lines(tmp_path / "error_log.jsonl", [{"when": 1714557600, "sev": "E", "text": "down"}])
    mapping = parse_options(["ts=when", "level=sev"])
    ingest(con, [path], Options(profile=str(profile), mapping=mapping))
    assert errors(con) == [(utc(2024, 5, 1, 10), "edge", "error", "down")]


def test_profiles_command_lists_built_ins_with_an_example(runner):
    result = run(runner, "profiles")
    assert result.exit_code == 0, result.output
    for name in ("ecs", "otel", "bunyan", "pino", "logfmt", "journald", "syslog", "loghub", "ours"):
        assert name in result.output


# --- duplicates -------------------------------------------------------------------------------------------


def test_dedup_auto_keeps_repeats_in_a_text_log_written_to_the_second(con, tmp_path):
    line = "[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6\n"
    path = tmp_path / "apache_error.log"
    path.write_text(line * 3 + line.replace("04:47:44", "04:47:45"))
    pattern = r"^\[(?P<ts>[^\]]+)\] \[(?P<level>\w+)\] (?P<message>.*)$"
    (f,) = ingest(con, [path], Options(mapping=parse_options(sets=["service=apache"], pattern=pattern))).files
    assert (f.loaded, f.duplicates) == (4, 0)  # the same error three times in one second is three errors


def test_dedup_auto_keeps_frequent_repeats_of_json_written_to_the_second(con, tmp_path):
    base = {"service": "s", "level": "error", "message": "same"}
    lines = [{**base, "ts": f"2024-05-01T10:{i // 60:02d}:{i % 60:02d}Z"} for i in range(1000)]
    lines += lines[:100]  # 100 of 1,100 (9%) repeat: far above a shipper's redelivery rate
    (f,) = ingest(con, [write_lines(tmp_path / "e.jsonl", lines)]).files
    assert (f.loaded, f.duplicates) == (1100, 0)


def test_dedup_auto_drops_redelivered_records_written_below_a_second(con, tmp_path):
    base = {"service": "s", "level": "error", "message": "same"}
    lines = [{**base, "ts": f"2024-05-01T10:{i // 60:02d}:{i % 60:02d}.{i % 7}00Z"} for i in range(1000)]
    lines += lines[:100]
    (f,) = ingest(con, [write_lines(tmp_path / "e.jsonl", lines)]).files
    assert (f.loaded, f.duplicates) == (1000, 100)


@pytest.mark.parametrize(("mode", "loaded", "duplicates"), [("on", 1, 3), ("off", 4, 0)])
def test_dedup_on_and_off(con, tmp_path, mode, loaded, duplicates):
    path = tmp_path / "app.log"
    path.write_text("2024-05-01 10:00:00 ERROR boom\n" * 4)
    mapping = parse_options(sets=["service=app"], pattern=r"^(?P<ts>\S+ \S+) (?P<level>[A-Z]+) (?P<message>.*)$")
    (f,) = ingest(con, [path], Options(mapping=mapping, dedup=mode)).files
    assert (f.loaded, f.duplicates) == (loaded, duplicates)


# --- files that fail, and fixing them -------------------------------------------------------------------


def test_a_file_rejected_whole_is_said_and_exits_non_zero(runner, tmp_path):
    path = tmp_path / "HDFS.csv"
    path.write_text("LineId,Date,Time,Level,Content\n1,081109,203615,INFO,hello\n")
    result = run(runner, "ingest", path, "--db", tmp_path / "x.duckdb", "--kind", "error", "--set", "service=hdfs")
    assert result.exit_code == 1
    assert "rejected" in result.output
    assert "every line rejected: unparseable timestamp: 203615 (1)" in result.output
    assert "error: nothing loaded from 1 file(s)" in result.output
    fixed = run(
        runner,
        "ingest",
        path,
        "--db",
        tmp_path / "x.duckdb",
        "--kind",
        "error",
        "--set",
        "service=hdfs",
        "--map",
        "ts=Date+Time",
    )
    assert fixed.exit_code == 0, fixed.output  # a file rejected whole is read again, without --replace
    with db.connect(tmp_path / "x.duckdb", read_only=True) as con:
        assert con.sql("select status, loaded from files").fetchall() == [("loaded", 1)]
        assert con.sql("select count(*) from rejects").fetchall() == [(0,)]


def test_hint_names_the_fields_the_file_has(con, tmp_path):
    path = tmp_path / "svc.csv"
    path.write_text("Date,Time,Level,Content\n081109,203615,INFO,hello\n")
    (f,) = ingest(con, [path], Options(kind="error")).files
    assert f.status == "rejected"
    # 081109 203615 is one of our default forms (%y%m%d %H%M%S) once the two columns are joined
    assert f.hint == "timestamps do not parse; the file has Date, Time, Level, Content: try `--map ts=Date+Time`"


def test_missing_fields_reject_names_every_one(con, tmp_path):
    path = write_lines(
        tmp_path / "join.jsonl",
        [{"ts": 1714557600, "space_id": "s", "user_id": "u", "event": "join"}, {"event": "join"}],
    )
    ingest(con, [path])
    assert con.sql("select reason from rejects").fetchall() == [("missing required fields ts, space_id, user_id",)]


def test_replace_takes_back_a_file_and_loads_it_with_new_options(runner, tmp_path):
    path = write_lines(
        tmp_path / "join.jsonl", [{"ts": "2024-05-01 10:00:00", "space_id": "s", "user_id": "u", "event": "join"}]
    )
    database = tmp_path / "x.duckdb"
    assert run(runner, "ingest", path, "--db", database).exit_code == 0
    again = run(runner, "ingest", path, "--db", database, "--tz", "America/New_York")
    assert "already loaded" in again.output
    replaced = run(runner, "ingest", path, "--db", database, "--tz", "America/New_York", "--replace")
    assert replaced.exit_code == 0, replaced.output
    with db.connect(database, read_only=True) as con:
        assert con.sql("select ts from join_events").fetchall() == [(utc(2024, 5, 1, 14),)]
        assert con.sql("select tz from files").fetchall() == [("America/New_York",)]


# --- broken input that must not crash ---------------------------------------------------------------------


def test_truncated_and_corrupt_zstd_are_one_line_errors(runner, tmp_path):
    import zstandard

    body = b"".join(
        json.dumps({"ts": 1714557600 + i, "space_id": "s", "user_id": f"u{i}", "event": "join"}).encode() + b"\n"
        for i in range(20000)
    )
    packed = zstandard.ZstdCompressor().compress(body)
    (tmp_path / "cut_join.jsonl.zst").write_bytes(packed[: len(packed) // 2])
    (tmp_path / "bad_join.jsonl.zst").write_bytes(b"\x28\xb5\x2f\xfd" + b"garbage" * 100)
    for name in ("cut_join.jsonl.zst", "bad_join.jsonl.zst"):
        result = run(runner, "ingest", tmp_path / name, "--db", tmp_path / "x.duckdb")
        assert result.exit_code == 1, result.output
        assert result.output.startswith(f"error: {tmp_path / name}: "), result.output
        assert "Traceback" not in result.output
    with db.connect(tmp_path / "x.duckdb", read_only=True) as con:
        assert con.sql("select count(*) from files").fetchall() == [(0,)]


def test_truncated_gzip_is_a_one_line_error(runner, tmp_path):
    packed = gzip.compress(b'{"ts": 1714557600, "space_id": "s", "user_id": "u", "event": "join"}\n' * 5000)
    (tmp_path / "cut_join.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    result = run(runner, "ingest", tmp_path / "cut_join.jsonl.gz", "--db", tmp_path / "x.duckdb")
    assert result.exit_code == 1 and result.output.startswith("error: "), result.output


@pytest.mark.parametrize(
    "first_line",
    [b"\x1f\x8b", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage", b"\x28\xb5\x2f\xfd garbage"],
    ids=["gzip magic, then text", "a gzip header, then no deflate data", "zstd magic, then text"],
)
def test_a_text_log_opening_with_bytes_like_a_compressed_header_is_read_as_text(con, tmp_path, first_line):
    """Found by the hostile-input property test: a binary first line that begins like a gzip or zstd header in a
    file whose name says nothing of compression is a rejected line, not an unreadable file."""
    good = json.dumps({"ts": "2024-05-01T10:00:00Z", "space_id": "s", "user_id": "u", "event": "join"}).encode()
    (tmp_path / "pod_join.jsonl").write_bytes(first_line + b"\n" + good + b"\n")
    (result,) = ingest(con, [tmp_path / "pod_join.jsonl"]).files
    assert (result.loaded, result.rejected, result.lines_read) == (1, 1, 2)


def test_a_gzip_file_without_its_suffix_is_still_read_by_its_header(con, tmp_path):
    good = json.dumps({"ts": "2024-05-01T10:00:00Z", "space_id": "s", "user_id": "u", "event": "join"})
    (tmp_path / "pod_join.log").write_bytes(gzip.compress((good + "\n").encode() * 3))
    (result,) = ingest(con, [tmp_path / "pod_join.log"]).files
    assert (result.format, result.loaded, result.duplicates) == ("jsonl", 1, 2)


@pytest.mark.parametrize(
    ("text", "loaded", "rejects"),
    [
        # a field over 128 KiB is an ordinary value
        ("ts,service,level,message\n2024-05-01T10:00:00Z,s,info," + "x" * 200_000 + "\n", 1, []),
        # CR-only line ends
        ("ts,service,level,message\r2024-05-01T10:00:00Z,s,info,a\r2024-05-01T10:00:01Z,s,info,b\r", 2, []),
        # an unterminated quote is one reject; the rows after it still load
        (
            'ts,service,level,message\n2024-05-01T10:00:00Z,s,info,"open\n'
            + "".join(f"2024-05-01T10:00:0{i}Z,s,info,row{i}\n" for i in range(1, 10)),
            9,
            [(2, "unterminated quote in a CSV field")],
        ),
    ],
)
def test_csv_hazards(con, tmp_path, text, loaded, rejects):
    path = tmp_path / "error.csv"
    path.write_bytes(text.encode())
    (f,) = ingest(con, [path]).files
    assert f.loaded == loaded
    assert [
        (line, reason) for line, reason in con.sql("select line, reason from rejects order by line").fetchall()
    ] == rejects


@pytest.mark.parametrize("value", ['"NaN"', '"inf"', "1e400", '"-Infinity"'])
def test_non_finite_numbers_are_rejects(con, tmp_path, value):
    path = tmp_path / "glitch.jsonl"
    path.write_text(
        '{"ts": 1714557600, "space_id": "s", "user_id": "u", "glitch": "echo", "jitter_ms": ' + value + "}\n"
    )
    (f,) = ingest(con, [path]).files
    assert (f.loaded, f.rejected) == (0, 1)


def test_a_duplicate_json_key_is_a_reject(con, tmp_path):
    path = tmp_path / "join.jsonl"
    path.write_text('{"ts": 1714557600, "space_id": "s", "user_id": "a", "user_id": "b", "event": "join"}\n')
    ingest(con, [path])
    assert con.sql("select reason from rejects").fetchall() == [("a key appears twice in the JSON object",)]


def test_a_file_name_that_is_not_utf8_is_loaded_and_named_escaped(runner, tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    line = b'{"ts": 1714557600, "space_id": "s", "user_id": "u", "event": "join"}\n'
    (folder / "good_join.jsonl").write_bytes(line)
    open(bytes(folder) + b"/bad\xff_join.jsonl", "wb").write(line.replace(b'"u"', b'"v"'))
    result = run(runner, "ingest", folder, "--db", tmp_path / "x.duckdb")
    assert result.exit_code == 0, result.output
    with db.connect(tmp_path / "x.duckdb", read_only=True) as con:
        assert sorted(p for (p,) in con.sql("select path from files").fetchall()) == [
            f"{folder}/bad\\xff_join.jsonl",
            f"{folder}/good_join.jsonl",
        ]
