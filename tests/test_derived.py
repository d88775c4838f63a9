"""The derived views ingest keeps as tables for the report (schema/derive): equal to the views, read only while
they match the data, and never a reason for ingest to fail."""

from datetime import UTC, datetime, timedelta

import pytest
from conftest import write_lines

from postmortem import commands, db, export, ingest, lake_write, queries
from postmortem.errors import DatabaseError

DERIVED = ["space_bounds", "sessions", "presence_minutes", "space_minutes"]


def room(space: str, minute: int) -> list[dict]:
    """A room of two listeners from 10:00: a start, two joins and a leave at 10:<minute>."""

    def at(m: int) -> str:
        return f"2024-05-01T10:{m:02d}:00Z"

    return [
        {"ts": at(0), "space_id": space, "user_id": "h", "event": "start", "role": "host"},
        {"ts": at(1), "space_id": space, "user_id": "a", "event": "join", "role": "listener"},
        {"ts": at(2), "space_id": space, "user_id": "b", "event": "join", "role": "listener"},
        {"ts": at(minute), "space_id": space, "user_id": "a", "event": "leave", "role": "listener"},
    ]


@pytest.fixture
def scripts(monkeypatch) -> list[str]:
    """The scripts run from here on (cache_derived chooses one)."""
    names = []
    original = queries.execute_script

    def counted(con, name):
        names.append(name)
        return original(con, name)

    monkeypatch.setattr(queries, "execute_script", counted)
    return names


def test_ingest_keeps_each_derived_view_as_a_table_equal_to_the_view(sample_db):
    with db.connect(sample_db, read_only=True) as con:  # its views compute from the events
        for view in DERIVED:
            kept = con.sql(f"select * from derived.{view} order by all").fetchall()
            assert kept == con.sql(f"select * from {view} order by all").fetchall(), view
            assert kept, view  # the sample has rooms, sessions and minutes


def test_the_report_reads_the_kept_tables_only_while_they_match_the_data(sample_copy, tmp_path, scripts):
    path = tmp_path / "pm.duckdb"
    with db.connect(path) as con:
        ingest.ingest(con, [sample_copy])
    from_kept = export.summary_json(commands.load_facts(path))  # every fact, the HTML report's evidence too
    assert "schema/use_derived" in scripts and "schema/cache" not in scripts

    with db.connect(path) as con:  # the stamp gone: as if an older postmortem had kept them
        con.execute("delete from meta where key = 'derived_for'")
    scripts.clear()
    computed = export.summary_json(commands.load_facts(path))
    assert "schema/cache" in scripts and "schema/use_derived" not in scripts
    assert from_kept == computed

    with db.connect(path) as con:  # the kept tables back, then a row the derived tables do not know
        db.refresh_derived(con)
        con.execute(
            "insert into join_events (ts, space_id, user_id, event, role) values "
            "(timestamptz '2026-03-14 21:30:00+00', 'sp-late', 'u-late', 'join', 'host'), "
            "(timestamptz '2026-03-14 21:40:00+00', 'sp-late', 'u-late', 'leave', 'host')"
        )
    scripts.clear()
    with db.connect(path, read_only=True) as con:
        db.cache_derived(con)
        assert "schema/cache" in scripts
        assert con.sql("select count(*) from sessions where space_id = 'sp-late'").fetchall() == [(1,)]


def test_an_ingest_that_loads_nothing_keeps_the_tables_as_they_are(sample_copy, tmp_path, scripts):
    path = tmp_path / "pm.duckdb"
    with db.connect(path) as con:
        ingest.ingest(con, [sample_copy])
        assert scripts.count("schema/derive") == 1
        summary = ingest.ingest(con, [sample_copy])
        assert {f.status for f in summary.files} == {"already loaded"}
    assert scripts.count("schema/derive") == 1


def test_a_room_the_views_refuse_loads_and_the_report_names_it(tmp_path):
    """A room with events every hour for two years would need more per-minute rows than allowed: the load
    succeeds without the derived tables, and the report says what the views say."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    lines = [
        {
            "ts": (start + timedelta(hours=h)).isoformat(),
            "space_id": "s-long",
            "user_id": f"u{h % 2}",
            "event": "join" if h % 4 < 2 else "leave",
            "role": "listener",
        }
        for h in range(2 * 365 * 24)
    ]
    path = tmp_path / "pm.duckdb"
    with db.connect(path) as con:
        (result,) = ingest.ingest(con, [write_lines(tmp_path / "join.jsonl", lines)]).files
        assert result.loaded == len(lines)
        assert queries.run(con, "schema/derived_for").item() is None
        assert con.sql("select count(*) from sessions").fetchall()[0][0] > 0  # the views were made again
    with db.connect(path, read_only=True) as con, pytest.raises(DatabaseError, match="room s-long would need"):
        db.cache_derived(con)


def test_tables_kept_on_a_connection_a_report_has_used_come_from_the_views(tmp_path):
    """A report points the views at copies (schema/cache) or at the kept tables; keeping them again on that
    connection must compute them from the events, not copy what the views were pointed at."""
    path = tmp_path / "pm.duckdb"
    with db.connect(path) as con:
        ingest.ingest(con, [write_lines(tmp_path / "a_join.jsonl", room("s1", 5))])
        db.cache_derived(con)  # the kept tables, as a report on this connection would
        assert con.sql("select count(*) from sessions").fetchall() == [(2,)]  # a and b
        ingest.ingest(con, [write_lines(tmp_path / "b_join.jsonl", room("s2", 7))])
    with db.connect(path, read_only=True) as con:
        assert queries.run(con, "schema/derived_for").item() == db.data_stamp(con)
        for view in DERIVED:
            kept = con.sql(f"select * from derived.{view} order by all").fetchall()
            assert kept == con.sql(f"select * from {view} order by all").fetchall(), view
        assert con.sql("select distinct space_id from derived.sessions order by 1").fetchall() == [("s1",), ("s2",)]


def test_tables_kept_by_other_definitions_are_not_read(sample_copy, tmp_path, scripts, monkeypatch):
    """Another version of postmortem (other view definitions) computes the views rather than read them."""
    path = tmp_path / "pm.duckdb"
    with db.connect(path) as con:
        ingest.ingest(con, [sample_copy])
    load = queries.load
    monkeypatch.setattr(queries, "load", lambda name: load(name) + ("\n-- changed" if name == "schema/views" else ""))
    scripts.clear()
    with db.connect(path, read_only=True) as con:
        db.cache_derived(con)
    assert "schema/cache" in scripts and "schema/use_derived" not in scripts


def test_a_lake_ingest_keeps_no_derived_tables(tmp_path, scripts):
    """A lake's files are loaded through a private database that is thrown away: nothing to keep there."""
    lake_write.ingest_lake(tmp_path / "lake", [write_lines(tmp_path / "join.jsonl", room("s1", 5))])
    assert "schema/derive" not in scripts
