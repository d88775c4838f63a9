"""Hostile input, round 3 (issue 21): inputs that lost data without a trace, refused a whole file for one line,
let a spreadsheet run a formula, or said the wrong words. Each case here failed before its fix.

What could exhaust the machine (a gzip bomb, a 200 MB line, an object of 100,000 keys) runs in a subprocess with
a time and a memory bound (test_hostile.bounded), so a regression fails the test instead of the shared machine.
"""

import csv
import gzip
import io
import json
import os
import zlib

import duckdb
import polars as pl
import pytest
from conftest import write_lines
from test_hostile import bounded, cli, one_line_error

from postmortem import sources
from postmortem.ingest import ingest
from postmortem.sources import LogFile

GOOD = {"ts": "2026-01-01T00:00:00Z", "level": "error", "service": "api", "message": "ok"}
GOOD_LINE = json.dumps(GOOD).encode() + b"\n"


def loaded_and_rejects(database) -> tuple[list, list]:
    rows = cli("sql", "select message from error_events order by message", "--format", "json", "--db", database)
    rejects = cli("sql", "select line, reason, raw from rejects order by line", "--format", "json", "--db", database)
    return json.loads(rows.stdout), json.loads(rejects.stdout)


# --- 1. every physical line is accounted for, however long ----------------------------------------------------


def test_a_gzip_bomb_line_with_no_newline_is_a_reject_and_the_rest_loads(tmp_path):
    # 2 good lines, then 160 MiB of one line with no newline (compressed to ~160 KB). Before: DuckDB's reader
    # dropped the last line without a word (it is longer than its 128 MiB buffer): lines 2, rejected 0, exit 0.
    bomb = tmp_path / "bomb.jsonl.gz"
    with gzip.open(bomb, "wb", compresslevel=1) as out:
        out.write(GOOD_LINE + json.dumps({**GOOD, "message": "two"}).encode() + b"\n" + b'{"message": "')
        for _ in range(160):
            out.write(b"A" * (1 << 20))
    assert bomb.stat().st_size < 1 << 20
    database = tmp_path / "bomb.duckdb"
    run = bounded("ingest", bomb, "--kind", "error", "--db", database, timeout=120, max_mib=1200)
    assert run.killed is None and run.code == 0, run
    messages, rejects = loaded_and_rejects(database)
    assert messages == [{"message": "ok"}, {"message": "two"}]
    ((reject),) = rejects
    # 13 bytes of `{"message": "` + 160 * 1,048,576 = 167,772,173
    assert reject["line"] == 3
    assert reject["reason"] == (
        "line of 167,772,173 bytes, longer than the 64 MiB a line may have (its first 1,024 bytes kept)"
    )
    assert reject["raw"] == '{"message": "' + "A" * (1024 - 13)


def test_a_200_mb_line_between_two_good_lines_rejects_only_itself(tmp_path):
    # Before: exit 1 with DuckDB's "The Parallel CSV Reader currently does not support a full read on this file".
    log = tmp_path / "big.jsonl"
    with open(log, "wb") as out:
        out.write(GOOD_LINE)
        out.write(b'{"message": "' + b"B" * 200_000_000 + b'"}\n')
        out.write(json.dumps({**GOOD, "message": "three"}).encode() + b"\n")
    database = tmp_path / "big.duckdb"
    run = bounded("ingest", log, "--kind", "error", "--db", database, timeout=120, max_mib=1500)
    assert run.killed is None and run.code == 0, run
    messages, rejects = loaded_and_rejects(database)
    assert messages == [{"message": "ok"}, {"message": "three"}]
    assert [(r["line"], r["reason"].split(",")[0:2]) for r in rejects] == [
        (2, ["line of 200", "000"])  # 13 + 200,000,000 + 2 = 200,000,015 bytes
    ]
    assert rejects[0]["reason"].startswith("line of 200,000,015 bytes, longer than the 64 MiB")


def test_the_python_line_splitter_reads_past_a_long_line_at_any_block_boundary(tmp_path):
    # lines: ab, 30 x's, cd, (blank), 25 y's with no end; a limit of 10 bytes, blocks of 4 bytes so that every
    # line end (CR, LF, CRLF) falls at some block boundary
    data = b"ab\r\n" + b"x" * 30 + b"\r\ncd\n\r" + b"y" * 25
    path = tmp_path / "lines.log"
    path.write_bytes(data)
    for batch_bytes in (1, 2, 3, 4, 5, 7, 64):
        frames = list(sources.fallback_batches(LogFile(path, "text", None), batch_bytes=batch_bytes, line_limit=10))
        frame = pl.concat(frames)
        assert frame["raw"].to_list() == ["ab", "x" * 30, "cd", "", "y" * 25], batch_bytes
        assert frame["pre_reason"].to_list() == [
            None,
            "line of 30 bytes, longer than the 10 bytes a line may have (its first 30 bytes kept)",
            None,
            None,
            "line of 25 bytes, longer than the 10 bytes a line may have (its first 25 bytes kept)",
        ], batch_bytes


def _feed_count(con, feed, limit: int | None = None) -> int:
    read = f"""select line from read_csv('{feed.path}', columns = {{'line': 'VARCHAR'}}, delim = '\x01', quote = '',
        escape = '', header = false, auto_detect = false, compression = 'none')"""
    return con.sql(f"select count(*) from ({read} {'' if limit is None else f'limit {limit}'})").fetchall()[0][0]


def test_a_gzip_file_fed_to_duckdb_gives_each_statement_the_whole_stream(tmp_path):
    # The one-pass read samples the first lines, then reads them all: a statement that stops early must not leave
    # the rest of its stream to the next one. 300,000 lines of 7 bytes (2.1 MB inflated): a sample of 5, then all.
    path = tmp_path / "many.jsonl.gz"
    path.write_bytes(gzip.compress(b"".join(b"%06d\n" % i for i in range(300_000))))
    with duckdb.connect() as con, sources.fed(LogFile(path, "jsonl", "gzip")) as feed:
        assert _feed_count(con, feed, limit=5) == 5
        assert feed.longest is None or feed.longest == 6  # the sample may have read it all (it is small)
        assert _feed_count(con, feed) == 300_000
        assert _feed_count(con, feed, limit=5) == 5
        assert _feed_count(con, feed) == 300_000
        assert feed.error is None and feed.longest == 6 and not feed.long_line


def test_a_gzip_file_cut_short_is_a_feed_error_not_fewer_lines(tmp_path):
    whole = gzip.compress(b"".join(b"line %d\n" % i for i in range(100_000)))
    path = tmp_path / "cut.log.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with duckdb.connect() as con, sources.fed(LogFile(path, "text", "gzip")) as feed:
        assert _feed_count(con, feed) < 100_000  # DuckDB sees the pipe end early and says nothing
    assert isinstance(feed.error, EOFError)
    assert feed.long_line  # no stream was read to its end: the file is not vouched for


def test_a_feed_nobody_reads_closes_at_once(tmp_path):
    path = tmp_path / "unread.log.gz"
    path.write_bytes(gzip.compress(b"x\n" * 1_000_000))
    with sources.fed(LogFile(path, "text", "gzip")) as feed:
        fifo = feed.path
        with open(fifo, "rb") as reader:  # a reader that reads 1 byte and holds the pipe open (the feeder blocks)
            assert reader.read(1) == b"x"
    assert not fifo.exists() and not fifo.parent.exists()


def test_a_fed_gzip_file_reports_its_progress_as_it_is_read(con, tmp_path):
    # DuckDB reading a pipe cannot tell how far it is (it said 97.7% from the start); the feed counts the
    # compressed bytes it has read. 60,000 lines with 32 random hex digits: about 1.2 MB of gzip.
    lines = b"".join(json.dumps({**GOOD, "message": os.urandom(16).hex()}).encode() + b"\n" for _ in range(60_000))
    path = tmp_path / "error.jsonl.gz"
    path.write_bytes(gzip.compress(lines))
    seen: list[tuple[int, int]] = []
    ingest(con, [path], kind="error", on_progress=lambda _, done, total: seen.append((done, total)))
    size = path.stat().st_size
    assert size > 1 << 20
    assert seen[0] == (0, size) and seen[-1] == (size, size)
    assert any(0 < done < size / 2 for done, _ in seen), seen


def test_a_gzip_file_under_64_mib_over_the_deflate_bound_is_not_inflated_to_check_it(tmp_path):
    # Deflate gives at most 1,032 bytes a byte: 65,027 * 1,032 = 67,107,864 <= 64 MiB (67,108,864). The best
    # compressor on the most compressible line just over the limit stays above that size, so the bound is sound.
    assert 65_027 * sources.DEFLATE_MAX_RATIO <= sources.LINE_LIMIT < 65_028 * sources.DEFLATE_MAX_RATIO
    smallest = len(zlib.compress(b"\0" * (sources.LINE_LIMIT + 1), 9))
    assert smallest * sources.DEFLATE_MAX_RATIO > sources.LINE_LIMIT
    small = tmp_path / "small.jsonl.gz"
    small.write_bytes(b"\x1f\x8b not a gzip stream at all")  # would fail to inflate, were it inflated
    assert not sources.long_line(LogFile(small, "jsonl", "gzip"))


# --- 2. a repeated column keeps both values --------------------------------------------------------------------


def test_a_repeated_csv_column_keeps_its_second_value_in_extra(tmp_path):
    # Before: message_2's "second" was dropped without a trace, and two unmapped x columns failed the file
    # ("Map keys must be unique").
    log = tmp_path / "dup.csv"
    log.write_text("ts,level,service,message,message,x,x\n2026-01-01T00:00:00Z,error,api,first,second,a,b\n")
    database = tmp_path / "dup.duckdb"
    result = cli("ingest", log, "--kind", "error", "--db", database)
    assert result.exit_code == 0, result.output
    rows = cli("sql", "select message, extra from error_events", "--format", "json", "--db", database)
    ((row),) = json.loads(rows.stdout)
    assert row["message"] == "first"
    assert json.loads(row["extra"]) == {"message_2": "second", "x": "a", "x_2": "b"}


def test_named_groups_differing_only_in_case_are_refused(tmp_path):
    log = tmp_path / "t.log"
    log.write_text("2026-01-01T00:00:00Z error one two\n")
    pattern = r"^(?P<ts>\S+) (?P<level>\S+) (?P<message>\S+) (?P<Message>\S+)$"
    result = cli("ingest", log, "--kind", "error", "--set", "service=s", "--pattern", pattern, "--db", tmp_path / "d")
    one_line_error(result, "'message' and 'Message' differ only in case")


# --- 4. CSV output does not hand a spreadsheet a formula ----------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tlead", "\rlead"]


@pytest.fixture
def formula_db(tmp_path):
    log = write_lines(tmp_path / "error.jsonl", [{**GOOD, "message": m} for m in [*FORMULAS, "plain"]])
    database = tmp_path / "formula.duckdb"
    assert cli("ingest", log, "--db", database).exit_code == 0
    return database


@pytest.mark.parametrize("command", ["sql", "query"])
def test_csv_output_neutralises_formula_prefixes_unless_raw(formula_db, command):
    window = ["-p", "start=2026-01-01T00:00:00Z", "-p", "end=2026-01-02T00:00:00Z", "-p", "limit=10"]
    args = ["sql", "select message, -1 as n from error_events"] if command == "sql" else ["query", "top_messages"]
    args += [] if command == "sql" else window
    column = 0 if command == "sql" else 3  # top_messages: service, level, code, message, ...
    safe = bounded(*args, "--format", "csv", "--db", formula_db)
    assert safe.code == 0, safe
    cells = [row[column] for row in csv.reader(io.StringIO(safe.stdout, newline=""))][1:]
    assert sorted(cells) == sorted(["'" + f for f in FORMULAS] + ["plain"])
    if command == "sql":  # a number stays a number
        assert all(row[1] == "-1" for row in csv.reader(io.StringIO(safe.stdout, newline="")) if row[1] != "n")
    raw = bounded(*args, "--format", "csv", "--raw", "--db", formula_db)
    cells = [row[column] for row in csv.reader(io.StringIO(raw.stdout, newline=""))][1:]
    assert sorted(cells) == sorted([*FORMULAS, "plain"])


# --- 6. a record too wide is a reject; out of memory names --memory-limit ----------------------------------------


def test_an_object_of_100000_keys_is_a_reject_and_the_others_load(tmp_path):
    # Before: "Out of Memory Error" and nothing loaded (listing the file's fields went keys x keys).
    wide = {**GOOD, **{f"k{i}": i for i in range(100_000)}}
    log = write_lines(tmp_path / "wide.jsonl", [GOOD, wide, {**GOOD, "message": "three"}])
    database = tmp_path / "wide.duckdb"
    run = bounded("ingest", log, "--kind", "error", "--db", database, timeout=120, max_mib=1500)
    assert run.killed is None and run.code == 0, run
    messages, rejects = loaded_and_rejects(database)
    assert messages == [{"message": "ok"}, {"message": "three"}]
    # 4 fields of GOOD + 100,000 k's
    assert [(r["line"], r["reason"]) for r in rejects] == [
        (2, "a JSON object with 100004 keys, more than the 10000 allowed")
    ]


def test_out_of_memory_names_memory_limit(tmp_path):
    database = tmp_path / "d.duckdb"
    assert cli("ingest", write_lines(tmp_path / "error.jsonl", [GOOD]), "--db", database).exit_code == 0
    run = bounded(
        "sql", "select string_agg(r::varchar, ',') from range(3000000) t(r)", "--db", database,
        "--memory-limit", "8MB", "--threads", "1",
    )  # fmt: skip
    one_line_error(run, "Out of Memory Error", "--memory-limit")


# --- 7. honest words ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("special", ["fifo", "/dev/zero", "/dev/urandom"])
def test_fifos_and_devices_are_not_regular_files(tmp_path, special):
    if special == "fifo":
        special = tmp_path / "pipe.log"
        os.mkfifo(special)
    run = bounded("ingest", special, "--db", tmp_path / "d.duckdb", timeout=30)
    one_line_error(run, "not a regular file", str(special))
    assert "no such file" not in run.stderr


@pytest.mark.parametrize(
    "statement, verb",
    [("install httpfs", "INSTALL"), ("checkpoint", "CHECKPOINT"), ("/* why */ force checkpoint", "FORCE CHECKPOINT")],
)
def test_sql_names_the_refused_statement_itself(tmp_path, statement, verb):
    database = tmp_path / "d.duckdb"
    assert cli("ingest", write_lines(tmp_path / "error.jsonl", [GOOD]), "--db", database).exit_code == 0
    one_line_error(cli("sql", statement, "--db", database), f": {verb} is not allowed")


@pytest.mark.parametrize("command", [["timeline"], ["report", "--format", "json", "-o", "-"]])
def test_an_empty_display_tz_is_refused(tmp_path, command):
    database = tmp_path / "d.duckdb"
    assert cli("ingest", write_lines(tmp_path / "error.jsonl", [GOOD]), "--db", database).exit_code == 0
    one_line_error(cli(*command, "--display-tz", "", "--db", database), "empty time zone")
