"""Small JSON-lines files are read and appended in batches (postmortem.ingest.batches): the database must end up
exactly as if each file had been loaded alone, and the work per file must not grow with the number of files."""

import gzip
import json
import random

import pytest
from conftest import write_lines

from postmortem import db, ingest, queries

JOIN = {"ts": "2024-05-01T10:00:00Z", "space_id": "s1", "user_id": "u1", "event": "join"}


def join(second: int, user: str, **more) -> dict:
    return {**JOIN, "ts": f"2024-05-01T10:00:{second:02d}Z", "user_id": user, **more}


def tables(con) -> dict:
    """Everything ingest writes, in a comparable form (times of the run itself left out)."""
    return {
        "files": con.sql(
            "select file_id, path, sha256, kind, format, bytes, lines_read, blank, loaded, rejected, duplicates,"
            " min_ts, max_ts, continued, status from files order by file_id"
        ).fetchall(),
        "rejects": con.sql("select * from rejects order by file_id, line").fetchall(),
        "join_events": con.sql("select * from join_events order by all").fetchall(),
        "error_events": con.sql("select * from error_events order by all").fetchall(),
    }


def outcome(results) -> list:
    return [(f.path, f.status, f.lines_read, f.blank, f.loaded, f.rejected, f.duplicates) for f in results]


def load_alone(path, files):
    """The reference: each file in its own `ingest` call (a batch of one)."""
    with db.connect(path) as con:
        done = [f for file in files for f in ingest.ingest(con, [file]).files]
        return done, tables(con)


def load_together(path, files):
    with db.connect(path) as con:
        summary = ingest.ingest(con, files)
        return summary.files, tables(con)


@pytest.fixture
def logs(tmp_path):
    """A run of small files with every case a batch must keep apart per file, after a file loaded earlier."""
    folder = tmp_path / "logs"
    folder.mkdir()
    earlier = write_lines(tmp_path / "earlier_join.jsonl", [join(1, "e1"), join(2, "e2")])
    files = [
        # redelivered line, a blank line and bad lines: numbered in its own file
        write_lines(folder / "a_join.jsonl", [join(3, "a1"), join(4, "a2"), "{not json", "", join(3, "a1")]),
        # a record of a_join and one loaded earlier: dropped as duplicates; a bad timestamp on line 3
        write_lines(folder / "b_join.jsonl", [join(4, "a2"), join(2, "e2"), {**join(5, "b1"), "ts": "soon"}]),
        # the earlier file again under another name: already loaded
        write_lines(folder / "c_join.jsonl", [join(1, "e1"), join(2, "e2")]),
        # every line rejected
        write_lines(folder / "d_join.jsonl", [{"space_id": "s1"}, "[1]"]),
        # an unknown field (kept in extra) and no newline at the end
        folder / "e_join.jsonl",
        # identical records of one file, 1,000 of them written to the second: real repeats, all kept
        write_lines(folder / "f_join.jsonl", [join(7, f"f{i % 20}") for i in range(1000)]),
        # its own compression: a batch of its own
        folder / "g_join.jsonl.gz",
        write_lines(folder / "h_join.jsonl", [join(9, "h1"), join(4, "a2")]),
    ]
    files[4].write_text(json.dumps(join(6, "e-1", build="7f3a")), encoding="utf-8")
    files[6].write_bytes(gzip.compress((json.dumps(join(8, "g1")) + "\n").encode()))
    return earlier, files


@pytest.fixture
def statements(monkeypatch) -> list[str]:
    """The named queries run from here on (a chained query by its last part)."""
    names = []
    for name, named_by in (("run", 0), ("execute", 0), ("execute_script", 0), ("run_chained", 1), ("materialise", 2)):
        original = getattr(queries, name)

        def counted(con, *args, _original=original, _at=named_by, **params):
            names.append(args[_at])
            return _original(con, *args, **params)

        monkeypatch.setattr(queries, name, counted)
    return names


def test_a_batch_loads_exactly_as_each_file_alone(tmp_path, logs, statements):
    earlier, files = logs
    for name in ("alone.duckdb", "together.duckdb"):
        with db.connect(tmp_path / name) as con:
            ingest.ingest(con, [earlier])
    alone, alone_tables = load_alone(tmp_path / "alone.duckdb", files)
    statements.clear()
    together, together_tables = load_together(tmp_path / "together.duckdb", files)
    assert statements.count("ingest/stage_join") == 3  # a..f together (c is not read), g and h alone

    assert outcome(together) == outcome(alone)
    assert together_tables == alone_tables
    # and what that is, by hand
    by_name = {f.path.name: f for f in together}
    assert [by_name["a_join.jsonl"].loaded, by_name["a_join.jsonl"].duplicates] == [2, 1]
    assert [by_name["b_join.jsonl"].loaded, by_name["b_join.jsonl"].duplicates] == [0, 2]
    assert by_name["c_join.jsonl"].status == "already loaded"
    assert by_name["d_join.jsonl"].status == "rejected"
    assert by_name["f_join.jsonl"].loaded == 1000
    assert by_name["h_join.jsonl"].loaded == 1
    rejects = [(path.rsplit("/", 1)[1], line, reason) for path, line, reason in _rejects(tmp_path / "together.duckdb")]
    assert rejects == [
        ("a_join.jsonl", 3, "invalid JSON"),
        ("b_join.jsonl", 3, "unparseable timestamp: soon"),
        ("d_join.jsonl", 1, "missing required fields ts, user_id, event"),
        ("d_join.jsonl", 2, "not a JSON object"),
    ]


def _rejects(path):
    with db.connect(path, read_only=True) as con:
        return con.sql(
            "select f.path, r.line, r.reason from rejects r join files f using (file_id) order by f.path, r.line"
        ).fetchall()


def test_a_file_the_batch_reader_refuses_is_loaded_alone_and_the_rest_still_exactly(tmp_path):
    files = [write_lines(tmp_path / f"{i}_join.jsonl", [join(i, f"u{i}"), "{bad"]) for i in range(4)]
    files[2].write_bytes(b'{"ts": "2024-05-01T10:00:02Z", "space_id": "s1",\r"user_id": "u2", "event": "join"}\n')
    alone, alone_tables = load_alone(tmp_path / "alone.duckdb", files)
    together, together_tables = load_together(tmp_path / "together.duckdb", files)
    assert outcome(together) == outcome(alone)
    assert together_tables == alone_tables


def test_two_files_of_the_same_content_in_one_batch_load_as_they_would_alone(tmp_path):
    rejected_whole = [{"space_id": "s1"}]
    files = [
        write_lines(tmp_path / "a_join.jsonl", rejected_whole),
        write_lines(tmp_path / "b_join.jsonl", [join(1, "u1")]),
        write_lines(tmp_path / "c_join.jsonl", rejected_whole),  # read again: its twin was rejected whole
        write_lines(tmp_path / "d_join.jsonl", [join(1, "u1")]),  # already loaded
    ]
    alone, alone_tables = load_alone(tmp_path / "alone.duckdb", files)
    together, together_tables = load_together(tmp_path / "together.duckdb", files)
    assert outcome(together) == outcome(alone)
    assert together_tables == alone_tables
    assert [f.status for f in together] == ["rejected", "loaded", "rejected", "already loaded"]


def test_random_small_files_load_as_each_alone(tmp_path):
    rng = random.Random(7)
    pool = [join(s, f"u{s % 7}") for s in range(30)] + ["{x", "", '{"ts": "2024-05-01T10:00:00Z"}']
    files = []
    for i in range(40):
        lines = [rng.choice(pool) for _ in range(rng.randint(1, 12))]
        files.append(write_lines(tmp_path / f"{i:02d}_join.jsonl", lines))
    alone, alone_tables = load_alone(tmp_path / "alone.duckdb", files)
    together, together_tables = load_together(tmp_path / "together.duckdb", files)
    assert outcome(together) == outcome(alone)
    assert together_tables == alone_tables


def test_many_small_files_take_a_fixed_number_of_statements_not_a_dozen_each(tmp_path, statements):
    """Issue 10: 10,000 small files cost about 20 statements each (75 ms a file); a batch is one unit of work."""
    files = [write_lines(tmp_path / f"{i:04d}_join.jsonl", [join(i % 60, f"u{i}")]) for i in range(1500)]
    with db.connect(tmp_path / "pm.duckdb") as con:
        summary = ingest.ingest(con, files)
        assert sum(f.loaded for f in summary.files) == 1500
        assert con.sql("select count(*), count(distinct file_id) from join_events").fetchall() == [(1500, 1500)]
        assert con.sql("select count(*) from files where lines_read = 1 and loaded = 1").fetchall() == [(1500,)]
    batches = len(list(ingest.batches(ingest.plan(files), ingest.Options())))
    assert batches == 2  # 1,000 files a batch
    assert len(statements) < 40 * batches


def test_the_summary_of_many_files_lists_those_with_something_to_see_and_counts_the_rest(tmp_path, runner, monkeypatch):
    from postmortem.cli import app

    files = [write_lines(tmp_path / f"{i:03d}_join.jsonl", [join(i % 60, f"u{i}")]) for i in range(80)]
    write_lines(files[41], [join(1, "x"), "{broken"])
    monkeypatch.chdir(tmp_path)  # short names: the table does not wrap them
    result = runner.invoke(app, ["ingest", "--db", "pm.duckdb", "."])
    assert result.exit_code == 0, result.output
    assert "041_join.jsonl" in result.output
    assert "000_join.jsonl" not in result.output
    assert "79 more files (79 loaded): see `postmortem query files`" in result.output
    assert "1 line(s) rejected" in result.output


def test_each_file_of_a_batch_without_a_service_field_is_its_own_service(tmp_path):
    lines = ['ts=2024-05-01T10:00:0{}Z level=error msg="disk full"', "ts=2024-05-01T10:00:0{}Z level=info msg=ok"]
    files = [
        write_lines(tmp_path / f"{name}.log", [line.format(i) for line in lines])
        for i, name in enumerate(["api-7f9c", "db-0", "edge-2"])
    ]
    alone, alone_tables = load_alone(tmp_path / "alone.duckdb", files)
    together, together_tables = load_together(tmp_path / "together.duckdb", files)
    assert outcome(together) == outcome(alone)
    assert together_tables == alone_tables
    assert [f.notes for f in together] == [f.notes for f in alone]
    with db.connect(tmp_path / "together.duckdb", read_only=True) as con:
        services = con.sql("select distinct service from error_events order by 1").fetchall()
    assert services == [("api-7f9c",), ("db-0",), ("edge-2",)]
    assert len(list(ingest.batches(ingest.plan(files), ingest.Options()))) == 1
