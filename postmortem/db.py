"""Opening the DuckDB file: one place sets the session (UTC, threads, memory) and turns IO trouble
into one-line errors. DuckDB allows one writing process per file; the lock message names the holder."""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from postmortem import queries, sources
from postmortem.errors import DatabaseError

DEFAULT_DB = "postmortem.duckdb"
DEFAULT_THREADS = min(4, os.cpu_count() or 1)
DEFAULT_MEMORY_LIMIT = "1GB"


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
    config = {"threads": threads, "memory_limit": memory_limit}
    if not in_memory:
        # Spill beside the database so a large load uses disk instead of failing on memory.
        config["temp_directory"] = str(Path(path).with_suffix(".tmp"))
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
        con.execute("set TimeZone = 'UTC'")
        if not read_only:
            queries.execute_script(con, "schema/tables")
        con.register("source_batch", sources.empty_batch())
        queries.execute_script(con, "schema/macros")
        queries.execute_script(con, "schema/views")
    except duckdb.Error as err:
        raise translate(err, path) from None
    return con


def cache_derived(con: duckdb.DuckDBPyConnection) -> None:
    """Compute presence, sessions and per-minute room health once for the many queries of a report."""
    try:
        queries.execute_script(con, "schema/cache")
    except duckdb.Error as err:
        raise translate(err, "the database") from None


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
    first = text.strip().splitlines()[0] if text.strip() else type(err).__name__
    return DatabaseError(f"database {path}: {first}")
