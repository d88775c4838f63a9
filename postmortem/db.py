"""Opening the DuckDB file: one place sets the session (UTC, threads, memory) and turns IO trouble
into one-line errors. DuckDB allows one writing process per file; the lock message names the holder."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from functools import cache
from pathlib import Path

import duckdb

from postmortem import queries
from postmortem.choices import DEFAULT_DB, DEFAULT_MEMORY_LIMIT, DEFAULT_THREADS
from postmortem.errors import DatabaseError

DUCKDB_MAGIC = b"DUCK"  # bytes 8 to 11 of every DuckDB database file


def connect(
    path: str | os.PathLike = DEFAULT_DB,
    *,
    read_only: bool = False,
    threads: int = DEFAULT_THREADS,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the database with the schema in place. `:memory:` works for tests."""
    in_memory = str(path) == ":memory:"
    if read_only and not in_memory and not Path(path).is_file():
        raise DatabaseError(f"no database at {path}; run `postmortem ingest LOGS` first")
    if not in_memory:
        refuse_foreign_file(path)
    if read_only and not in_memory:
        _upgrade_or_refuse(path)
    config = {"threads": threads, "memory_limit": memory_limit}
    if not in_memory:
        # Spill beside the database so a large load uses disk instead of failing on memory.
        config["temp_directory"] = str(Path(path).with_suffix(".tmp"))
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
        _session(con)
        check_schema(con, path, read_only=read_only)
        if not read_only:
            queries.execute_script(con, "schema/tables")
        queries.execute_script(con, "schema/views")
        queries.execute_script(con, "schema/metric_views")
    except duckdb.Error as err:
        raise translate(err, path) from None
    return con


def _session(con: duckdb.DuckDBPyConnection) -> None:
    """What every connection sets once open (these are not accepted in `config`)."""
    con.execute("set TimeZone = 'UTC'")  # a setting of the ICU extension
    # DuckDB's own progress bar would print over ours (and into piped output) on a statement over 2 s; ingest
    # polls `query_progress` instead, which works without it
    con.execute("set enable_progress_bar_print = false")


def connect_sandboxed(
    path: str | os.PathLike = DEFAULT_DB,
    *,
    threads: int = DEFAULT_THREADS,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
) -> duckdb.DuckDBPyConnection:
    """Open the database for SQL a user typed: read-only, the shared views in place, then DuckDB's sandbox
    switches set and the configuration locked (`schema/sandbox`)."""
    if not Path(path).is_file():
        raise DatabaseError(f"no database at {path}; run `postmortem ingest LOGS` first")
    refuse_foreign_file(path)
    _upgrade_or_refuse(path)
    config = {
        "threads": threads,
        "memory_limit": memory_limit,
        "temp_directory": str(Path(path).with_suffix(".tmp")),
    }
    try:
        con = duckdb.connect(str(path), read_only=True, config=config)
        _session(con)
        check_schema(con, path, read_only=True)
        queries.execute_script(con, "schema/views")
        queries.execute_script(con, "schema/metric_views")
        queries.execute_script(con, "schema/sandbox")
    except duckdb.Error as err:
        raise translate(err, path) from None
    return con


def refuse_foreign_file(path: str | os.PathLike) -> None:
    """An existing file that is not a DuckDB database (a log given to --db by mistake) is never opened:
    DuckDB would otherwise fall back to an in-memory database and the work would be lost."""
    try:
        with open(path, "rb") as file:
            head = file.read(12)
    except FileNotFoundError:
        return
    except OSError as err:
        raise DatabaseError(f"cannot read database {path}: {err.strerror or err}") from None
    if head[8:12] != DUCKDB_MAGIC:
        raise DatabaseError(
            f"{path} exists and is not a DuckDB database; pass --db with the database file or a new path"
        )


Layout = dict[str, list[tuple[str, str, bool]]]  # table -> (column, type, addable) in column order


@cache
def expected_layout() -> tuple[Layout, str]:
    """The tables `schema/tables` creates, with their columns, and the schema version it records."""
    with duckdb.connect() as scratch:
        queries.execute_script(scratch, "schema/tables")
        return _layout(scratch), scratch.sql(queries.load("schema/version")).fetchall()[0][0]


def _layout(con: duckdb.DuckDBPyConnection) -> Layout:
    tables: Layout = {}
    for table, column, dtype, addable in con.sql(queries.load("schema/layout")).fetchall():
        tables.setdefault(table, []).append((column, dtype, addable))
    return tables


def _upgrade_or_refuse(path: str | os.PathLike) -> None:
    try:
        upgrade(path)
    except duckdb.Error as err:
        raise translate(err, path) from None


def upgrade(path: str | os.PathLike) -> None:
    """Before a read-only open: bring a database written by an earlier postmortem (no version recorded,
    or columns added since) up to this schema. `schema/tables` only adds (tables, columns, the version),
    so this is the same migration a writable connection does on its own."""
    with duckdb.connect(str(path), read_only=True) as con:
        current = check_schema(con, path, read_only=True)
    if not current:
        with duckdb.connect(str(path)) as con:
            check_schema(con, path, read_only=False)
            queries.execute_script(con, "schema/tables")


def check_schema(con: duckdb.DuckDBPyConnection, path: str | os.PathLike, *, read_only: bool) -> bool:
    """Refuse (closing the connection) a database that is not ours, or is ours at a version this postmortem
    cannot bring up in place; return whether it is already current (False: `schema/tables` has tables,
    columns or the version to add).

    Ours: every table is one `schema/tables` creates, and its columns begin with that table's columns in
    order; the missing ones, if any, are ones `alter table ... add column` could have added since. An older
    version (or none, from before versions were recorded) whose tables are like that is upgraded in place.
    """
    try:
        found = _layout(con)
        expected, version = expected_layout()
        recorded = None
        if found.get("meta") == expected["meta"]:
            recorded = con.sql(queries.load("schema/version")).fetchall()[0][0]
        problem = _schema_problem(path, found, expected, version, recorded, read_only=read_only)
    except duckdb.Error:
        con.close()
        raise
    if problem:
        con.close()
        raise DatabaseError(problem)
    return found == expected and recorded == version


def _schema_problem(
    path, found: Layout, expected: Layout, version: str, recorded: str | None, *, read_only: bool
) -> str | None:
    if not found:
        if read_only:
            return f"database {path} holds no postmortem tables; run `postmortem ingest LOGS --db {path}` first"
        return None
    foreign = sorted(set(found) - set(expected))
    if foreign:
        return (
            f"database {path} was not written by postmortem (it has a table {foreign[0]!r}); pass --db with a new path"
        )
    unlike = _unlike_ours(found, expected)
    if recorded is not None and recorded != version:
        newer = recorded.isdigit() and version.isdigit() and int(recorded) > int(version)
        if newer or unlike:
            advice = (
                "upgrade postmortem to read it" if newer else "no migration exists: re-ingest the logs into a new --db"
            )
            return (
                f"database {path} has postmortem schema version {recorded}, this postmortem reads version "
                f"{version}; {advice}"
            )
    if unlike:
        table, columns = unlike
        return (
            f"database {path} was not written by this postmortem: its table {table!r} has columns "
            f"({', '.join(columns)}); pass --db with a new path"
        )
    return None


def _unlike_ours(found: Layout, expected: Layout) -> tuple[str, list[str]] | None:
    """The first table whose columns `schema/tables` cannot bring to ours in place, with its columns."""
    for table, columns in sorted(found.items()):
        ours = expected[table]
        named = [c[:2] for c in columns]
        if named != [c[:2] for c in ours[: len(columns)]] or not all(c[2] for c in ours[len(columns) :]):
            return table, [name for name, _, _ in columns]
    return None


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection):
    """All statements inside commit together or not at all; the one place that owns BEGIN/COMMIT/ROLLBACK."""
    con.execute("begin transaction")
    try:
        yield con
    except BaseException:
        try:
            con.execute("rollback")
        except duckdb.Error:
            pass  # the failure already ended the transaction
        raise
    con.execute("commit")


def cache_derived(con) -> None:
    """Presence, sessions and per-minute room health for the many queries of a report, cached the engine's way
    (DuckDB: use_or_cache_derived; Spark: postmortem/engine.py)."""
    queries.engine_of(con).cache_derived()


def use_or_cache_derived(con: duckdb.DuckDBPyConnection) -> None:
    """DuckDB's cache of the derived views: read from the tables ingest keeps (see refresh_derived) where they
    match the data, else computed once here."""
    try:
        queries.execute_script(con, "schema/use_derived" if _derived_match(con) else "schema/cache")
    except duckdb.Error as err:
        raise translate(err, "the database") from None


def _derived_match(con: duckdb.DuckDBPyConnection) -> bool:
    if not queries.run(con, "schema/derived_kept").item():
        return False
    stamp = queries.run(con, "schema/derived_for").item()
    return stamp is not None and stamp == data_stamp(con)


def refresh_derived(con: duckdb.DuckDBPyConnection) -> None:
    """Keep the derived views as tables (schema/derive) unless they already match the data: ingest's last step,
    so that every report after it reads them. Where the views refuse the data (a room spanning years) they are
    not kept, and the report computes them and names the problem itself."""
    stamp = data_stamp(con)
    if queries.run(con, "schema/derived_for").item() == stamp:
        return
    # computed from the views as defined, not as a report on this connection pointed them (schema/cache)
    queries.execute_script(con, "schema/views")
    try:
        with transaction(con):
            queries.execute_script(con, "schema/derive")
            queries.execute(con, "schema/record_derived", stamp=stamp)
    except duckdb.InterruptException:
        raise KeyboardInterrupt from None  # Ctrl-C: the files are loaded, the derived tables are not kept
    except duckdb.Error as err:
        if queries.OUR_ERROR not in str(err):  # anything but a check of our own views is a failure to report
            raise translate(err, "the database") from err
    finally:
        queries.execute_script(con, "schema/views")  # derive pointed some views at temporary tables


def data_stamp(con: duckdb.DuckDBPyConnection) -> str:
    """What derived tables must have been computed from to stand in for the views: the data (schema/data_stamp)
    and the definitions of the views and of what keeps them, so that another version of postmortem never reads
    tables computed by different definitions."""
    definitions = hashlib.sha256((queries.load("schema/views") + queries.load("schema/derive")).encode())
    return queries.run(con, "schema/data_stamp", definitions=definitions.hexdigest()[:16]).item()


def translate(err: BaseException, path: str | os.PathLike) -> DatabaseError:
    """A one-line, actionable message for the IO failures users meet."""
    text = str(err)
    if "Could not set lock" in text or "Conflicting lock" in text:
        pid = re.search(r"PID (\d+)", text)
        holder = f" (PID {pid.group(1)})" if pid else ""
        return DatabaseError(
            f"database {path} is in use by another process{holder}; "
            "wait for it to finish or pass --db to use another file"
        )
    if "No space left" in text:
        return DatabaseError(f"disk full while writing {path}; free space or pass --db on another disk")
    if "Read-only" in text or "Permission denied" in text or "read-only" in text:
        return DatabaseError(f"cannot write {path}: read-only location; pass --db with a writable path")
    if queries.OUR_ERROR in text:
        return DatabaseError(queries.engine_message(err))
    return DatabaseError(f"database {path}: {queries.engine_message(err)}")
