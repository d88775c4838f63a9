"""Where the data is and what runs the SQL: the DuckDB file, a Parquet lake read by DuckDB, or a lake read by
Spark (local, a cluster master, or a Spark Connect server).

Everything above this seam is engine-blind: DuckDB (queries.DuckDBEngine) and Spark (SparkEngine, below) keep
one protocol (queries.Engine: run a named query, a script, cache the derived views, run work interruptibly, say
whether a kind's own tables are held), and `queries.run(con, name, **params)` returns the same polars frame on
either. Callers ask the engine (`queries.engine_of(con)`), never the type of the connection.
The SQL is the same `queries/*.sql`; for Spark it is translated at run time (postmortem/dialect.py).
"""

from __future__ import annotations

import contextlib
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb
import polars as pl
import pyarrow as pa

from postmortem import db, lake, queries
from postmortem.choices import EngineName
from postmortem.errors import DatabaseError, InputError, QueryError

T = TypeVar("T")


@dataclass(frozen=True)
class Source:
    """What `report`, `timeline` and `query` read, and with which engine."""

    engine: EngineName = EngineName.duckdb
    db_path: str | Path = db.DEFAULT_DB
    lake: str | Path | None = None
    spark_remote: str | None = None
    spark_master: str | None = None
    threads: int = db.DEFAULT_THREADS
    memory_limit: str = db.DEFAULT_MEMORY_LIMIT


@contextlib.contextmanager
def connect(source: Source) -> Iterator[duckdb.DuckDBPyConnection | SparkEngine]:
    """A read-only connection to the data: a DuckDB connection, or a SparkEngine over the lake."""
    if source.engine == EngineName.spark:
        if source.lake is None:
            raise InputError("--engine spark reads a lake: pass --lake LAKE (written by `ingest --lake`)")
        tables = lake.read(source.lake)  # a missing lake fails before a JVM starts
        with SparkEngine(spark_session(remote=source.spark_remote, master=source.spark_master)) as spark:
            spark.attach_lake(tables)
            yield spark
        return
    if source.spark_remote or source.spark_master:
        raise InputError("--spark-remote and --spark-master need --engine spark")
    if source.lake is None:
        with db.connect(
            source.db_path, read_only=True, threads=source.threads, memory_limit=source.memory_limit
        ) as con:
            yield con
        return
    with lake_connection(source.lake, threads=source.threads, memory_limit=source.memory_limit) as con:
        yield con


@contextlib.contextmanager
def lake_connection(
    where: str | Path,
    *,
    threads: int = db.DEFAULT_THREADS,
    memory_limit: str = db.DEFAULT_MEMORY_LIMIT,
    sandboxed=False,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """DuckDB over a Delta lake: each table as the Arrow dataset delta-rs gives (no DuckDB extension), the
    read views over them. `sandboxed`: then locked as `postmortem sql`'s connection is (schema/sandbox)."""
    tables = lake.read(where)
    # Spill beyond the memory limit to a private temporary folder (an in-memory database has none by default;
    # the lake itself may be read-only for this user, or an object store).
    spill = tempfile.TemporaryDirectory(prefix="postmortem-spill-")
    config = {"threads": threads, "memory_limit": memory_limit, "temp_directory": spill.name}
    with spill, duckdb.connect(":memory:", config=config) as con:
        try:
            db._session(con)  # what every connection of ours sets (UTC, no DuckDB progress bar)
            _register_lake(con, tables, native=not sandboxed)
            queries.execute_script(con, "lake/views")
            queries.execute_script(con, "schema/views")
            if sandboxed:
                queries.execute_script(con, "schema/sandbox")
        except duckdb.Error as err:
            raise db.translate(err, where) from None
        yield con


def _register_lake(con: duckdb.DuckDBPyConnection, tables: lake.LakeTables, *, native: bool) -> None:
    """A local lake's tables as DuckDB's own Parquet scans of the files the Delta log names (twice as fast
    as the Arrow dataset: the report over a 420,000-record lake took 9.7 s that way, 4.3 s on the database
    file); an object store's, or a table with no files yet, as delta-rs's Arrow dataset (DuckDB's httpfs
    cannot be assumed: no extension is downloaded). `native` False: datasets only (`sql`'s sandbox forbids
    DuckDB to open files itself; it still scans what Python hands it)."""
    native = native and tables.location.root is not None and tables.plain_files()
    uris = tables.file_uris() if native else {}
    datasets = tables.datasets()
    for table, dataset in datasets.items():
        if uris.get(table):
            con.read_parquet(uris[table]).create_view(f"lake_{table}")
        else:
            con.register(f"lake_{table}", dataset)


def open_read(
    where: str | Path | Source, *, threads: int = db.DEFAULT_THREADS, memory_limit: str = db.DEFAULT_MEMORY_LIMIT
):
    """What the report, timeline and query commands open: the DuckDB file at a path (read-only), or a
    `Source` (a lake, maybe on Spark) as `connect` opens it."""
    if isinstance(where, Source):
        return connect(where)
    return db.connect(where, read_only=True, threads=threads, memory_limit=memory_limit)


# Every session's SQL settings, classic or Connect: times in UTC as in DuckDB; a few shuffle partitions (the
# default 200 schedules 200 tasks per stage for the report's small aggregates).
SESSION_SETTINGS = {"spark.sql.session.timeZone": "UTC", "spark.sql.shuffle.partitions": "8"}


def spark_session(*, remote: str | None = None, master: str | None = None):
    """A Spark session: Spark Connect at `remote` (sc://host:15002), else a classic session on `master`
    (default local[*], this machine's cores). Times are UTC, as in DuckDB."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError("--engine spark needs pyspark: pip install 'postmortem[spark]' (and Java 17+)") from None
    # pyspark 4.3 warns on every run that pandas 3 is "not yet fully supported"; only Arrow batches pass through
    # pandas' checks here, and tests/test_spark.py and test_spark_connect.py check the answers with pandas 3
    warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
    builder = SparkSession.builder.appName("postmortem")
    if remote:
        # A Connect client's session is its own on the server (released by SparkEngine.close); its SQL
        # settings are set below, as for a classic one (the builder's configs would be the server's to take).
        builder = builder.remote(remote)
    else:
        builder = (
            builder.master(master or "local[*]")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
        )
    try:
        session = builder.create() if remote else builder.getOrCreate()
    except Exception as err:  # noqa: BLE001 - Java gateway and gRPC failures have no common base class
        raise DatabaseError(f"cannot start Spark ({remote or master or 'local'}): {_first_line(err)}") from None
    if not remote:
        session.sparkContext.setLogLevel("ERROR")
        # Temporary views are per session: a new one per engine keeps two engines in one process apart.
        session = session.newSession()
    for key, value in SESSION_SETTINGS.items():
        session.conf.set(key, value)
    return session


class SparkEngine:
    """Runs the named queries on a Spark session, over the lake registered as temporary views."""

    name = "spark"

    def __init__(self, session):
        from postmortem.dialect import Translator  # sqlglot comes with the spark extra

        self.session = session
        self.translator = Translator()
        self._translated: dict[str, str] = {}

    def attach_lake(self, tables: lake.LakeTables) -> None:
        """Each lake table as the Parquet files its Delta log names (pyspark has no Delta jars); a table with
        no files yet as an empty frame of its columns. Object-store URIs go as Hadoop's s3a:// (the server
        needs hadoop-aws and credentials of its own: docs/scale-out.md)."""
        schemas = {name: table.schema().to_arrow() for name, table in tables.tables.items()}
        for table, uris in tables.file_uris().items():
            if uris:
                frame = self.session.read.parquet(*[_hadoop_uri(u) for u in uris])
            else:
                frame = self.session.createDataFrame(pa.Table.from_batches([], schema=pa.schema(schemas[table])))
            frame.createOrReplaceTempView(f"lake_{table}")
        self.execute_script("lake/views")
        self.execute_script("schema/views")

    def frame(self, name: str, sql: str, params: dict) -> pl.DataFrame:
        """Run one named query (its text and bound parameters from `queries.bind`) and return its rows."""
        if name not in self._translated:
            self._translated[name] = self.translator.query(sql)
        with _spark_errors(name):
            table = self.session.sql(self._translated[name], args=params or None).toArrow()
        return pl.from_arrow(table)

    def execute_script(self, name: str) -> None:
        for statement in self.translator.statements(queries.load(name)):
            with _spark_errors(name):
                self.session.sql(statement).collect()
        while self.translator.materialise:
            view = self.translator.materialise.pop(0)
            with _spark_errors(name):
                # Computed now and cut from its lineage, so every later query plans against a small leaf
                # instead of re-analysing the whole view (CACHE TABLE kept the full plan: seconds per query).
                self.session.table(view).localCheckpoint(eager=True).createOrReplaceTempView(view)

    def cache_derived(self) -> None:
        self.execute_script("schema/cache")

    def holds(self, presence: str) -> bool:
        """The lake holds the three logs' tables only (no WebRTC dumps' or metrics' own tables)."""
        return False

    def interruptible(self, work: Callable[[], T], *, timeout: float | None = None) -> T:
        """`work()` as it is: Spark has its own cancellation (a Ctrl-C stops the driver and its jobs)."""
        return work()

    def close(self) -> None:
        """Stop the session: a classic one's JVM context (its executors), a Connect one's server-side
        session (released, so the server's memory does not grow run by run)."""
        stop = getattr(self.session, "stop", None)
        with contextlib.suppress(Exception):  # noqa: BLE001 - a dead JVM or server: nothing left to stop
            self.session.catalog.clearCache()
        if stop is not None:
            with contextlib.suppress(Exception):  # noqa: BLE001
                stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@contextlib.contextmanager
def _spark_errors(name: str):
    try:
        yield
    except Exception as err:
        from pyspark.errors import PySparkException

        if isinstance(err, PySparkException):
            raise QueryError(f"{name} on Spark: {_first_line(err)}") from err
        raise


def _hadoop_uri(uri: str) -> str:
    return "s3a://" + uri.removeprefix("s3://") if uri.startswith("s3://") else uri


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    if "postmortem: " in text:  # a check in our own SQL (`error('postmortem: ...')`) says it all
        text = text.split("postmortem: ", 1)[1]
    return text.splitlines()[0] if text else type(err).__name__
