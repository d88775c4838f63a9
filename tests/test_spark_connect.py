"""`--engine spark --spark-remote`: a Spark Connect server (started here from the pyspark package, on
127.0.0.1, once for the test session) reads the Delta lake through the file list the client makes, and the
JSON summary is byte-identical to DuckDB's on the same lake and to the database file's on the same inputs.

The CLI runs in a subprocess: a Connect client and the classic session tests/test_spark.py keeps in this
process are not to share one Python process."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import QUICK_JVM_OPTIONS, ROOT, SAMPLE_LOGS, wait_for_marker
from test_lake import redelivery

pytestmark = pytest.mark.slow

SERVER_START_S = 600  # about 50 s on a quiet machine; far more with two cores shared by many test runs
STARTED = "Spark Connect server started at"
SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def connect_server(tmp_path_factory):
    """A Spark Connect server in local[2] mode: sc://127.0.0.1:PORT, ready once its log says it listens."""
    import pyspark

    spark_home = Path(pyspark.__file__).parent
    port = free_port()
    log = tmp_path_factory.mktemp("connect") / "server.log"
    env = {**os.environ, "SPARK_HOME": str(spark_home), "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_CONNECT_MODE": "0"}
    command = [str(spark_home / "bin" / "spark-submit"), "--class", SERVER_CLASS, "--master", "local[2]"]
    for setting in ("spark.ui.enabled=false", "spark.connect.grpc.binding.address=127.0.0.1"):
        command += ["--conf", setting]
    command += ["--driver-memory", "2g", "--conf", f"spark.connect.grpc.binding.port={port}"]
    command += ["--driver-java-options", QUICK_JVM_OPTIONS]  # as the tests' classic sessions (conftest)
    with open(log, "wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        wait_for_marker(server, log, STARTED, limit=SERVER_START_S)
        yield f"sc://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def postmortem(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "postmortem", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_connect_summary_of_a_redelivered_lake_is_byte_identical_to_duckdb(connect_server, tmp_path):
    """The sample, then its records again in other files by a second run (tests/test_lake.py: redelivery),
    into a Delta lake and a database file; Spark over Connect reads the lake's file list from the client."""
    again = redelivery(tmp_path)
    lake, database = tmp_path / "lake", tmp_path / "truth.duckdb"
    for logs in (SAMPLE_LOGS, again):
        postmortem("ingest", str(logs), "--lake", str(lake))
        postmortem("ingest", str(logs), "--db", str(database))
    reports = {}
    for name, where in [
        ("file", ["--db", str(database)]),
        ("duckdb", ["--lake", str(lake)]),
        ("connect", ["--engine", "spark", "--spark-remote", connect_server, "--lake", str(lake)]),
    ]:
        target = tmp_path / f"{name}.json"
        ran = postmortem("report", "--format", "json", *where, "-o", str(target))
        reports[name] = target.read_bytes()
        if name == "connect":
            assert "Warning" not in ran.stderr, ran.stderr  # pyspark's pandas notice is not the user's concern
    assert b'"switchover": {' in reports["file"]  # the sample's incident is found
    assert reports["connect"] == reports["duckdb"] == reports["file"]
