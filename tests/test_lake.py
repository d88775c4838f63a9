"""The Delta lake (`ingest --lake`, `--lake` on the read commands, `lake optimize`, `lake convert`) with DuckDB:
layout and commits, idempotence, records delivered twice (separate runs, several processes at once) counted
once exactly as the database file counts them, object storage (a local S3 server), symlinks, the old layout.
Spark over the same lakes: tests/test_spark.py."""

import gzip
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SAMPLE_LOGS, wait_for_marker
from deltalake import DeltaTable

from postmortem import engine, lake, lake_write
from postmortem.cli import app

TABLES = ("files", "rejects", "join_events", "error_events", "glitch_events")
# Bookkeeping that differs between two ingests of the same bytes: when and how long, and where from.
RUN_SPECIFIC = frozenset({"ingested_at", "seconds", "path"})
NUMBERS = frozenset({"file_id"})
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def sample_lake(tmp_path_factory):
    from typer.testing import CliRunner

    path = tmp_path_factory.mktemp("lake") / "lake"
    result = CliRunner().invoke(app, ["ingest", str(SAMPLE_LOGS), "--lake", str(path)])
    assert result.exit_code == 0, result.output
    return path


def versions(root) -> dict[str, int]:
    return {name: DeltaTable(f"{root}/{name}").version() for name in TABLES}


def table_rows(con, table: str, skip: frozenset[str] = frozenset()) -> tuple[list[str], list[tuple]]:
    """A table's columns and its rows in a total order, without the run-specific bookkeeping (and `skip`)."""
    rel = con.table(table)
    keep = [c for c in rel.columns if c not in RUN_SPECIFIC | skip]
    rows = rel.select(*keep).order(", ".join(keep)).fetchall()
    return rel.columns, rows


def report_json(runner, tmp_path: Path, *args) -> bytes:
    target = tmp_path / f"report-{abs(hash(args))}.json"
    result = runner.invoke(app, ["report", "--format", "json", "-o", str(target), *args])
    assert result.exit_code == 0, result.output
    return target.read_bytes()


def redelivery(tmp_path: Path) -> Path:
    """The sample's records delivered again as other files: the glitch log decompressed (every record again)
    and the error log's last 300 records with its header (a shipper's retry of a tail)."""
    again = tmp_path / "again"
    again.mkdir()
    (again / "glitch-copy.jsonl").write_bytes(gzip.decompress((SAMPLE_LOGS / "glitch.jsonl.gz").read_bytes()))
    lines = (SAMPLE_LOGS / "error.csv").read_text().splitlines(keepends=True)
    (again / "error-tail.csv").write_text(lines[0] + "".join(lines[-300:]))
    return again


def database_of(tmp_path: Path, runner, *runs: list[str]) -> Path:
    database = tmp_path / "truth.duckdb"
    for paths in runs:
        result = runner.invoke(app, ["ingest", *paths, "--db", str(database)])
        assert result.exit_code == 0, result.output
    return database


def test_each_table_is_a_delta_table_and_a_file_is_one_merge(sample_lake):
    for name in TABLES:
        assert (sample_lake / name / "_delta_log").is_dir(), name
    # Version 0 creates each table. Then each file: one merge into its kind's events (one version each, as the
    # sample has one file per kind), one rejects commit and one files commit per file (3 files: versions 1-3).
    assert versions(sample_lake) == {"files": 3, "rejects": 3, "join_events": 1, "error_events": 1, "glitch_events": 1}
    history = DeltaTable(str(sample_lake / "join_events")).history()
    assert history[0]["operation"] == "MERGE"
    assert not list(sample_lake.glob("_staging"))


def test_a_rerun_loads_nothing_and_commits_nothing(sample_lake):
    before = versions(sample_lake)
    summary = lake_write.ingest_lake(sample_lake, [SAMPLE_LOGS])
    assert [f.status for f in summary.files] == ["already loaded"] * 3
    assert versions(sample_lake) == before


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
    assert report_json(runner, tmp_path, "--lake", str(sample_lake)) == report_json(
        runner, tmp_path, "--db", str(sample_db)
    )


def test_query_timeline_and_sql_read_the_lake(sample_lake, sample_db, runner):
    for args in (
        ["query", "spaces", "--format", "json"],
        ["timeline", "--format", "json"],
        ["sql", "select kind, count(*) as n from files group by kind order by kind", "--format", "json"],
    ):
        on_db = runner.invoke(app, [*args, "--db", str(sample_db)])
        on_lake = runner.invoke(app, [*args, "--lake", str(sample_lake)])
        assert on_db.exit_code == 0 and on_lake.exit_code == 0, on_lake.output
        assert on_lake.output == on_db.output
    # the lake's `sql` is sandboxed as the database's is: no other file, no COPY
    result = runner.invoke(app, ["sql", "select * from read_text('/etc/hostname')", "--lake", str(sample_lake)])
    assert result.exit_code == 1 and result.output.startswith("error: ")


def test_rows_of_a_file_without_its_bookkeeping_row_are_not_read(sample_lake, tmp_path):
    """An ingest that died after its events merge, before its files commit: invisible to readers."""
    copy = tmp_path / "lake"
    shutil.copytree(sample_lake, copy)
    table = DeltaTable(str(copy / "join_events"))
    stray = table.to_pyarrow_dataset().head(5)
    stray = stray.set_column(stray.schema.get_field_index("sha256"), "sha256", [["f" * 64] * 5])
    from deltalake import write_deltalake

    write_deltalake(str(copy / "join_events"), stray, mode="append")
    with engine.connect(engine.Source(lake=copy)) as con:
        # 10,799 join rows in the sample (the DuckDB file holds the same): the 5 stray rows are not among them.
        assert con.sql("select count(*) from join_events").fetchall() == [(10799,)]


def test_records_delivered_again_by_a_later_run_are_duplicates_as_in_the_database(tmp_path, runner):
    again = redelivery(tmp_path)
    database = database_of(tmp_path, runner, [str(SAMPLE_LOGS)], [str(again)])
    target = tmp_path / "lake"
    first = lake_write.ingest_lake(target, [SAMPLE_LOGS])
    second = lake_write.ingest_lake(target, [again])
    assert sum(f.loaded for f in first.files) == 813 + 10727 + 10799  # as the database: error, glitch, join
    # Every record of the second run is in the lake already. The glitch copy: 10,750 lines, 1 rejected, 22
    # redelivered within the file, 10,727 already held: 10,749. The error tail: 300 lines, the last of them the
    # sample's short line (3 fields: rejected again), so 299 records already held.
    assert {f.name.split("/")[-1]: (f.loaded, f.duplicates) for f in second.files} == {
        "glitch-copy.jsonl": (0, 22 + 10727),
        "error-tail.csv": (0, 299),
    }
    assert report_json(runner, tmp_path, "--lake", str(target)) == report_json(runner, tmp_path, "--db", str(database))


def ingest_processes(target: str, folders: list[Path], *extra: str) -> list[subprocess.Popen]:
    env = {**os.environ, "NO_COLOR": "1"}
    return [
        subprocess.Popen(
            [sys.executable, "-m", "postmortem", "ingest", str(f), "--lake", target, "--threads", "1", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        for f in folders
    ]


def finished(procs: list[subprocess.Popen]) -> None:
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0] * len(procs), outputs


def commit_order(lake_uri: str) -> list[str]:
    """The files of a lake in the order their bookkeeping rows were committed."""
    with engine.connect(engine.Source(lake=lake_uri)) as con:
        return [row[0] for row in con.sql("select path from files order by file_id").fetchall()]


@pytest.mark.slow
def test_several_processes_delivering_the_same_records_at_once(tmp_path, runner):
    """Three writers at once: the sample, its redelivery, and the sample's join log again under another name
    (same content: the same fingerprint). Each record is in the lake once and the summary equals the database
    file's built from the same files in the order the lake committed them."""
    again = redelivery(tmp_path)
    third = tmp_path / "third"
    third.mkdir()
    shutil.copy(SAMPLE_LOGS / "join.jsonl", third / "join-again.jsonl")
    target = tmp_path / "lake"
    finished(ingest_processes(str(target), [SAMPLE_LOGS, again, third]))
    order = commit_order(str(target))
    assert len(order) == 5  # join.jsonl and join-again.jsonl are one content: whichever came first holds it
    database = database_of(tmp_path, runner, *[[p] for p in order])
    assert report_json(runner, tmp_path, "--lake", str(target)) == report_json(runner, tmp_path, "--db", str(database))
    with engine.connect(engine.Source(lake=target)) as con:
        # 813 + 10,727 + 10,799 distinct records (the sample's), each once
        assert con.sql(
            "select count(*) from (from error_events union all by name from glitch_events union all by "
            "name from join_events)"
        ).fetchall() == [(813 + 10727 + 10799,)]


def test_replace_is_one_commit_per_table(sample_lake, tmp_path):
    copy = tmp_path / "lake"
    shutil.copytree(sample_lake, copy)
    before = versions(copy)
    summary = lake_write.ingest_lake(copy, [SAMPLE_LOGS / "join.jsonl"], replace=True)
    assert [(f.status, f.loaded) for f in summary.files] == [("loaded", 10799)]
    after = versions(copy)
    assert {k: after[k] - before[k] for k in TABLES} == {
        "files": 1,
        "rejects": 1,
        "join_events": 1,
        "error_events": 0,
        "glitch_events": 0,
    }
    with engine.connect(engine.Source(lake=copy)) as con:
        assert con.sql("select count(*) from join_events").fetchall() == [(10799,)]
        assert con.sql("select count(*) from files").fetchall() == [(3,)]


def test_optimize_compacts_and_vacuums_without_changing_answers(tmp_path, runner):
    target = tmp_path / "lake"
    for name in ("join.jsonl", "error.csv", "glitch.jsonl.gz"):  # three runs: the files table gets three files
        result = runner.invoke(app, ["ingest", str(SAMPLE_LOGS / name), "--lake", str(target)])
        assert result.exit_code == 0, result.output
    before = report_json(runner, tmp_path, "--lake", str(target))
    assert len(DeltaTable(str(target / "files")).file_uris()) == 3
    result = runner.invoke(app, ["lake", "optimize", str(target), "--retention-hours", "0"])
    assert result.exit_code == 0, result.output
    assert "files: 3 file(s) compacted into 1, 3 unread file(s) deleted" in result.output
    assert len(DeltaTable(str(target / "files")).file_uris()) == 1
    assert len(list((target / "files").glob("*.parquet"))) == 1  # the three small ones are gone from disk
    assert report_json(runner, tmp_path, "--lake", str(target)) == before


def test_a_symlink_out_of_the_lake_is_refused(sample_lake, tmp_path, runner):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = tmp_path / "lake"
    target.mkdir()
    (target / "join_events").symlink_to(elsewhere)
    result = runner.invoke(app, ["ingest", str(SAMPLE_LOGS), "--lake", str(target)])
    assert result.exit_code == 1
    assert (
        result.output
        == f"error: lake {target}: {target / 'join_events'} is a symlink out of the lake; refusing to follow it\n"
    )
    assert list(elsewhere.iterdir()) == []
    # a symlinked data file inside a table (read side): refused, not read
    copy = tmp_path / "copy"
    shutil.copytree(sample_lake, copy)
    data = next((copy / "error_events").glob("*.parquet"))
    data.unlink()
    data.symlink_to(elsewhere / "secret.parquet")
    result = runner.invoke(app, ["query", "spaces", "--lake", str(copy)])
    assert result.exit_code == 1 and "is a symlink out of the lake" in result.output
    result = runner.invoke(app, ["query", "spaces", "--lake", f"{tmp_path}/x/../copy"])
    assert result.exit_code == 1 and "may not contain '..'" in result.output


def test_a_lake_of_the_earlier_layout_converts_without_loss(sample_db, runner, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(DATA / "lake-v1", old)
    result = runner.invoke(app, ["report", "--format", "json", "--lake", str(old)])
    assert result.exit_code == 1 and "postmortem lake convert" in result.output
    new = tmp_path / "new"
    result = runner.invoke(app, ["lake", "convert", str(old), str(new)])
    assert result.exit_code == 0, result.output
    assert f"converted 3 file(s) of {old} into {new}" in result.output
    assert report_json(runner, tmp_path, "--lake", str(new)) == report_json(runner, tmp_path, "--db", str(sample_db))
    with engine.open_read(sample_db) as file_con, engine.connect(engine.Source(lake=new)) as lake_con:
        for table in TABLES:
            assert table_rows(lake_con, table, NUMBERS)[1] == table_rows(file_con, table, NUMBERS)[1], table
    # the converted lake takes new ingests: the sample is already there
    assert [f.status for f in lake_write.ingest_lake(new, [SAMPLE_LOGS]).files] == ["already loaded"] * 3


def test_read_errors_are_one_line(runner, tmp_path):
    result = runner.invoke(app, ["report", "--format", "json", "--lake", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert result.output.startswith("error: no lake at ") and result.output.count("\n") == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["query", "spaces", "--lake", str(empty)])
    assert result.exit_code == 1 and "no files in the lake" in result.output
    result = runner.invoke(app, ["query", "spaces", "--engine", "spark"])
    assert result.exit_code == 1 and "pass --lake LAKE" in result.output
    result = runner.invoke(app, ["query", "spaces", "--spark-master", "local[1]", "--lake", str(empty)])
    assert result.exit_code == 1 and "need --engine spark" in result.output
    result = runner.invoke(app, ["query", "spaces", "--lake", "ftp://host/lake"])
    assert result.exit_code == 1 and "unknown scheme ftp://" in result.output
    assert not Path("ftp:").exists()


# Object storage: a local S3-compatible server (moto's server mode) on 127.0.0.1, credentials and endpoint in
# the environment as AWS tools and delta-rs read them. Nothing leaves the machine.


@pytest.fixture(scope="module")
def s3_bucket():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    saved = dict(os.environ)
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_ALLOW_HTTP": "true",  # delta-rs refuses plain HTTP unless told: only this local server
        }
    )
    try:
        import boto3

        deadline = time.monotonic() + 60
        while True:  # until the server answers (it takes a few seconds to import moto on a busy machine)
            try:
                boto3.client("s3").create_bucket(Bucket="incident-lake")
                break
            except Exception:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield "s3://incident-lake"
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_a_lake_on_s3_is_written_and_read_like_a_folder(s3_bucket, sample_db, runner, tmp_path):
    target = f"{s3_bucket}/sample"
    result = runner.invoke(app, ["ingest", str(SAMPLE_LOGS), "--lake", target])
    assert result.exit_code == 0, result.output
    assert report_json(runner, tmp_path, "--lake", target) == report_json(runner, tmp_path, "--db", str(sample_db))
    on_db = runner.invoke(app, ["sql", "select count(*) as n from join_events", "--db", str(sample_db)])
    on_lake = runner.invoke(app, ["sql", "select count(*) as n from join_events", "--lake", target])
    assert on_lake.exit_code == 0 and on_lake.output == on_db.output
    result = runner.invoke(app, ["lake", "optimize", target])
    assert result.exit_code == 0, result.output
    assert [f.status for f in lake_write.ingest_lake(target, [SAMPLE_LOGS]).files] == ["already loaded"] * 3


@pytest.mark.slow
def test_a_bucket_that_does_not_exist_is_one_line(s3_bucket, runner):
    result = runner.invoke(app, ["ingest", str(SAMPLE_LOGS), "--lake", "s3://no-such-bucket/lake"])
    assert result.exit_code == 1, result.output
    assert "the lake s3://no-such-bucket/lake: " in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1, result.output


@pytest.mark.slow
def test_two_processes_writing_one_s3_lake_at_once(s3_bucket, runner, tmp_path):
    """Concurrent commits on S3 rely on its conditional PUT (If-None-Match), which the local server honours
    as AWS does: the redelivered records are still counted once."""
    target = f"{s3_bucket}/shared"
    finished(ingest_processes(target, [SAMPLE_LOGS, redelivery(tmp_path)]))
    database = database_of(tmp_path, runner, *[[p] for p in commit_order(target)])
    assert report_json(runner, tmp_path, "--lake", target) == report_json(runner, tmp_path, "--db", str(database))


# Azure Blob Storage: Azurite (Microsoft's emulator, from npm: `npm install -g azurite@3`) on 127.0.0.1 with
# telemetry off, in memory; its well-known development account, and object_store's emulator switch, from the
# environment as Azure tools read them. Nothing leaves the machine.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def create_azure_container(endpoint: str, name: str) -> None:
    """Create Container, signed with the account key (Shared Key: the request's canonical form, HMAC-SHA256);
    delta-rs writes into a container but does not create one."""
    import base64
    import hashlib
    import hmac
    import urllib.request
    from email.utils import formatdate

    headers = {"x-ms-date": formatdate(usegmt=True), "x-ms-version": "2021-08-06"}
    # VERB, eleven empty standard headers, the x-ms- headers, then the resource (the emulator's path-style URL
    # puts the account name in the path as well)
    to_sign = "PUT\n" + "\n" * 11 + "".join(f"{k}:{v}\n" for k, v in sorted(headers.items()))
    to_sign += f"/{AZURITE_ACCOUNT}/{AZURITE_ACCOUNT}/{name}\nrestype:container"
    signature = hmac.new(base64.b64decode(AZURITE_KEY), to_sign.encode(), hashlib.sha256).digest()
    headers["Authorization"] = f"SharedKey {AZURITE_ACCOUNT}:{base64.b64encode(signature).decode()}"
    request = urllib.request.Request(f"{endpoint}/{AZURITE_ACCOUNT}/{name}?restype=container", method="PUT")
    for key, value in {**headers, "Content-Length": "0"}.items():
        request.add_header(key, value)
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201


@pytest.fixture(scope="module")
def azure_container(tmp_path_factory):
    azurite = shutil.which("azurite-blob")
    if azurite is None:
        message = "Azurite is not installed: npm install -g azurite@3"
        if os.environ.get("CI"):  # CI installs it (.ci/run): there a missing emulator is a failure
            pytest.fail(message)
        pytest.skip(message)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path_factory.mktemp("azurite") / "azurite.log"
    command = [azurite, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence"]
    with open(log, "wb") as out:
        server = subprocess.Popen([*command, "--disableTelemetry", "--skipApiVersionCheck"], stdout=out, stderr=out)
    endpoint = f"http://127.0.0.1:{port}"
    saved = dict(os.environ)
    os.environ.update(
        {
            "AZURE_STORAGE_USE_EMULATOR": "true",  # object_store: the development account over plain HTTP
            "AZURITE_BLOB_STORAGE_URL": endpoint,  # ... at this port rather than the default 10000
            "AZURE_STORAGE_ACCOUNT_NAME": AZURITE_ACCOUNT,
            "AZURE_STORAGE_ACCOUNT_KEY": AZURITE_KEY,
        }
    )
    try:
        wait_for_marker(server, log, "successfully listens", limit=120)
        create_azure_container(endpoint, "incident-lake")
        yield "az://incident-lake"
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_a_lake_on_azure_blob_storage_counts_a_redelivery_once(azure_container, runner, tmp_path):
    """The sample, then its records again in other files by a second run, into az://: the report equals the
    database file's on the same inputs, byte for byte."""
    target = f"{azure_container}/sample"
    again = redelivery(tmp_path)
    for logs in (SAMPLE_LOGS, again):
        result = runner.invoke(app, ["ingest", str(logs), "--lake", target])
        assert result.exit_code == 0, result.output
    database = database_of(tmp_path, runner, [str(SAMPLE_LOGS)], [str(again)])
    assert report_json(runner, tmp_path, "--lake", target) == report_json(runner, tmp_path, "--db", str(database))
    assert sorted(DeltaTable(f"{target}/files").to_pyarrow_table().column("kind").to_pylist()) == [
        "error",
        "error",
        "glitch",
        "glitch",
        "join",
    ]


def test_the_read_side_does_not_import_ingest():
    code = (
        "import sys, postmortem.engine, postmortem.lake, postmortem.commands; print('postmortem.ingest' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_location_keeps_object_store_uris(tmp_path):
    assert lake.locate("s3://bucket/x").uri == "s3://bucket/x"
    assert lake.locate(Path("s3://bucket/x")).uri == "s3://bucket/x"  # a Path folds `//`
    assert lake.locate("gs://bucket/x").table("files") == "gs://bucket/x/files"
