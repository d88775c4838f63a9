"""The Parquet lake (`ingest --lake`, `--lake` on the read commands) with DuckDB: layout, idempotence, the same
answers as the DuckDB file, and two writers at once. Spark over the same lake: tests/test_spark.py."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SAMPLE_LOGS

from postmortem import engine, lake
from postmortem.cli import app

TABLES = ("files", "rejects", "join_events", "error_events", "glitch_events")
# Bookkeeping that differs between two ingests of the same bytes: when and how long, and where from.
RUN_SPECIFIC = frozenset({"ingested_at", "seconds", "path"})
NUMBERS = frozenset({"file_id"})


@pytest.fixture(scope="module")
def sample_lake(tmp_path_factory):
    from typer.testing import CliRunner

    path = tmp_path_factory.mktemp("lake") / "lake"
    result = CliRunner().invoke(app, ["ingest", str(SAMPLE_LOGS), "--lake", str(path)])
    assert result.exit_code == 0, result.output
    return path


def listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def table_rows(con, table: str, skip: frozenset[str] = frozenset()) -> tuple[list[str], list[tuple]]:
    """A table's columns and its rows in a total order, without the run-specific bookkeeping (and `skip`)."""
    rel = con.table(table)
    keep = [c for c in rel.columns if c not in RUN_SPECIFIC | skip]
    rows = rel.select(*keep).order(", ".join(keep)).fetchall()
    return rel.columns, rows


def test_layout_is_by_kind_and_day_under_fingerprints(sample_lake):
    files = listing(sample_lake)
    fingerprints = {Path(f).name.split(".")[0] for f in files if f.startswith("files/")}
    assert len(fingerprints) == 3  # one bookkeeping row per sample file
    assert {f.split("/")[1] for f in files if f.startswith("files/")} == {"kind=join", "kind=error", "kind=glitch"}
    events = [f for f in files if f.split("/")[0].endswith("_events")]
    # The sample covers one UTC day, 2026-03-14: one file per kind, in that day's folder.
    assert sorted(f.split("/")[0] for f in events) == ["error_events", "glitch_events", "join_events"]
    assert {f.split("/")[1] for f in events} == {"day=2026-03-14"}
    assert all(Path(f).name.split(".")[0] in fingerprints for f in events)
    assert sorted(f for f in files if f.startswith("_schema/")) == [
        "_schema/error_events.parquet",
        "_schema/glitch_events.parquet",
        "_schema/join_events.parquet",
    ]
    assert not any(f.startswith("_staging/") for f in files)


def test_a_rerun_loads_nothing_and_writes_nothing(sample_lake, runner):
    before = {f: (sample_lake / f).stat().st_mtime_ns for f in listing(sample_lake)}
    summary = lake.ingest_lake(sample_lake, [SAMPLE_LOGS])
    assert [f.status for f in summary.files] == ["already loaded"] * 3
    assert {f: (sample_lake / f).stat().st_mtime_ns for f in listing(sample_lake)} == before


def test_lake_tables_have_the_database_columns_and_rows(sample_lake, sample_db):
    with engine.open_read(sample_db) as file_con, engine.connect(engine.Source(lake=sample_lake)) as lake_con:
        for table in TABLES[:2]:
            assert table_rows(lake_con, table) == table_rows(file_con, table), table
        for table in TABLES[2:]:
            # Event rows in the lake name their file by fingerprint; the read views leave file_id NULL.
            columns, rows = table_rows(lake_con, table, frozenset({"file_id"}))
            assert (columns, rows) == table_rows(file_con, table, frozenset({"file_id"})), table
            assert lake_con.sql(f"select count(file_id) from {table}").fetchall() == [(0,)]  # fixed names


def test_json_report_from_the_lake_equals_the_database(sample_lake, sample_db, runner, tmp_path):
    from_db, from_lake = tmp_path / "db.json", tmp_path / "lake.json"
    result = runner.invoke(app, ["report", "--format", "json", "--db", str(sample_db), "-o", str(from_db)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["report", "--format", "json", "--lake", str(sample_lake), "-o", str(from_lake)])
    assert result.exit_code == 0, result.output
    assert json.loads(from_lake.read_text()) == json.loads(from_db.read_text())
    assert from_lake.read_bytes() == from_db.read_bytes()


def test_query_and_timeline_read_the_lake(sample_lake, sample_db, runner):
    for args in (["query", "spaces", "--format", "json"], ["timeline", "--format", "json"]):
        on_db = runner.invoke(app, [*args, "--db", str(sample_db)])
        on_lake = runner.invoke(app, [*args, "--lake", str(sample_lake)])
        assert on_db.exit_code == 0 and on_lake.exit_code == 0, on_lake.output
        assert on_lake.output == on_db.output


def test_files_of_an_unfinished_ingest_are_not_read(sample_lake, tmp_path):
    """Event files whose fingerprint has no bookkeeping row (an ingest that crashed or is still running)."""
    copy = tmp_path / "lake"
    shutil.copytree(sample_lake, copy)
    committed = next((copy / "join_events" / "day=2026-03-14").glob("*.parquet"))
    shutil.copy(committed, committed.with_name("f" * 64 + ".data_0.parquet"))
    with engine.connect(engine.Source(lake=copy)) as con:
        # 10,799 join rows in the sample (the DuckDB file holds the same): the stray copy adds none.
        assert con.sql("select count(*) from join_events").fetchall() == [(10799,)]


@pytest.mark.slow
def test_two_processes_ingesting_into_one_lake_at_once(tmp_path, sample_db):
    """Overlapping shares (both load the error log) from two processes at the same time: both succeed and the
    lake holds each file once, so its tables equal the DuckDB file's."""
    first, second = tmp_path / "a", tmp_path / "b"
    for folder, names in ((first, ["join.jsonl", "error.csv"]), (second, ["error.csv", "glitch.jsonl.gz"])):
        folder.mkdir()
        for name in names:
            shutil.copy(SAMPLE_LOGS / name, folder / name)
    target = tmp_path / "lake"
    env = {**os.environ, "NO_COLOR": "1"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "postmortem", "ingest", str(folder), "--lake", str(target), "--threads", "1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        for folder in (first, second)
    ]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert len(list((target / "files").glob("kind=*/*.parquet"))) == 3
    with engine.open_read(sample_db) as file_con, engine.connect(engine.Source(lake=target)) as lake_con:
        for table in TABLES[1:]:  # files are numbered in the order the two writers happened to finish
            assert table_rows(lake_con, table, NUMBERS)[1] == table_rows(file_con, table, NUMBERS)[1], table
        assert (
            lake_con.sql("select kind, loaded from files order by kind").fetchall()
            == file_con.sql("select kind, loaded from files order by kind").fetchall()
        )


def test_read_errors_are_one_line(runner, tmp_path):
    result = runner.invoke(app, ["report", "--format", "json", "--lake", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert result.output.startswith("error: no lake at ") and result.output.count("\n") == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["query", "spaces", "--lake", str(empty)])
    assert result.exit_code == 1 and "no files in the lake" in result.output
    result = runner.invoke(app, ["query", "spaces", "--engine", "spark"])
    assert result.exit_code == 1 and "pass --lake DIR" in result.output
    result = runner.invoke(app, ["query", "spaces", "--spark-master", "local[1]", "--lake", str(empty)])
    assert result.exit_code == 1 and "need --engine spark" in result.output
    # Object stores are not supported yet: refused in one line, and nothing is written to a folder named `s3:`.
    for args in (["ingest", str(SAMPLE_LOGS), "--lake", "s3://bucket/lake"], ["query", "spaces", "--lake", "s3://b/l"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1 and "only local paths are supported" in result.output, result.output
    assert not Path("s3:").exists()
