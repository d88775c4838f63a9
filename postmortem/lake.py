"""A Parquet lake: the validated tables as files that several machines can write at once and any engine reads.

Why: one DuckDB file allows one writing process and lives on one disk. A lake is a folder of Parquet files
(a local path here; an object-store URI where the engines can reach one) that DuckDB and Spark both read.

The files are loaded by the ordinary `ingest.ingest` into a private DuckDB database in a staging folder
(seeded with the lake's bookkeeping, so ingest itself skips what the lake holds); then each loaded file's
rows are written as Parquet and moved into place under names made of its content fingerprint (sha256). Layout:

    DIR/join_events/day=YYYY-MM-DD/<sha256>.data_0.parquet     events, one folder per UTC day
    DIR/error_events/day=.../...      DIR/glitch_events/day=.../...
    DIR/rejects/kind=join/<sha256>.parquet                     every rejected line, keyed by fingerprint
    DIR/files/kind=join/<sha256>.parquet                       the bookkeeping row, published LAST
    DIR/_schema/<table>.parquet                                empty files that carry each event table's columns
    DIR/_staging/                                              private databases and files being written

A file is in the lake exactly when its bookkeeping row is: readers take only the event and reject files whose
fingerprint has one. So writers need no lock: two processes never write the same name unless they ingest the
same content, in which case the bytes are the same and the rename (atomic on a local file system) makes one
win; a crashed ingest leaves files nobody reads, and a re-run overwrites them.

Exact duplicates are dropped as ingest drops them within one private database, that is within the files of
one `ingest --lake` run; a record delivered twice in files ingested by different runs (or machines) is kept
twice (see docs/scale-out.md).
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from postmortem import db, ingest, kinds, queries
from postmortem.errors import DatabaseError, InputError

EVENT_TABLES = ("join_events", "error_events", "glitch_events")
TABLES = (*EVENT_TABLES, "rejects", "files")


@dataclass(frozen=True)
class LakeFiles:
    """The committed Parquet files of each table (schema files first), as paths or URIs an engine reads."""

    tables: dict[str, list[str]]
    fingerprints: dict[str, str]  # sha256 -> kind


def ingest_lake(
    lake: str | Path,
    paths: Iterable[str | Path],
    options: ingest.Options | None = None,
    *,
    threads: int = db.DEFAULT_THREADS,
    memory_limit: str = db.DEFAULT_MEMORY_LIMIT,
    on_progress: ingest.Progress | None = None,
    **option_fields,
) -> ingest.IngestSummary:
    """`postmortem ingest --lake DIR`: load the files into a private database with the ordinary ingest, then
    publish each loaded file. `options` / `option_fields` are ingest's (kind=, tz=, replace=, ...)."""
    root = _local_root(lake)
    replace = bool(getattr(options, "replace", False) or option_fields.get("replace"))
    staging = root / "_staging" / f"{os.getpid()}.{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    try:
        with db.connect(staging / "ingest.duckdb", threads=threads, memory_limit=memory_limit) as con:
            after = _seed(con, root)
            # the derived tables are the report's over the whole lake, not this private database's
            summary = ingest.ingest(con, paths, options, on_progress=on_progress, derived=False, **option_fields)
            unlakeable = [f for f in summary.files if not kinds.get(f.kind).lake]
            if unlakeable:  # nothing is published: a lake holds the three logs' tables only
                f = unlakeable[0]
                noun = kinds.get(f.kind).noun
                raise InputError(f"{f.name}: {noun} cannot go into a lake yet; ingest it with --db")
            fresh = queries.run(con, "lake/fresh_files", after=after).to_dicts()
            for row in fresh:
                _export(con, staging / row["sha256"], row["kind"], row["file_id"], row["sha256"])
        for row in fresh:
            _publish(root, staging / row["sha256"], row["sha256"], replace=replace)
        return summary
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def read(lake: str | Path) -> LakeFiles:
    """The files a reader should scan: every committed file's tables, and each table's schema file."""
    root = _local_root(lake, create=False)
    committed = {}
    for path in sorted((root / "files").glob("kind=*/*.parquet")):
        committed[_fingerprint_of(path)] = path.parent.name.removeprefix("kind=")
    if not committed:
        raise InputError(f"no files in the lake {lake}; run `postmortem ingest LOGS --lake {lake}` first")
    tables: dict[str, list[str]] = {}
    for table in TABLES:
        found = [str(p) for p in sorted((root / table).glob("*=*/*.parquet")) if _fingerprint_of(p) in committed]
        schema = root / "_schema" / f"{table}.parquet"
        if table in EVENT_TABLES:
            if not schema.is_file():
                raise InputError(f"{lake} is not a postmortem lake: {schema} is missing")
            found.insert(0, str(schema))
        tables[table] = found
    return LakeFiles(tables, committed)


def _local_root(lake: str | Path, *, create: bool = True) -> Path:
    text = str(lake)
    # `s3://b/x` given as a Path arrives as `s3:/b/x`: a scheme of two or more letters then a colon and a slash.
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]+:/", text) and not text.startswith("file:"):
        # Object stores: the layout and the readers are ready for it (DuckDB httpfs, Spark s3a), but writing
        # needs an upload step that could not be tested here (no object store reachable).
        raise InputError(f"lake {text}: only local paths are supported for now (see docs/scale-out.md)")
    root = Path(re.sub(r"^file:/+", "/", text)).absolute()
    if create:
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise DatabaseError(f"cannot create the lake {root}: {err.strerror}") from None
    elif not root.is_dir():
        raise InputError(f"no lake at {root}; run `postmortem ingest LOGS --lake {root}` first")
    return root


def _fingerprint_of(path: Path) -> str:
    return path.name.split(".", 1)[0]


def _committed(root: Path, digest: str) -> Path | None:
    """The bookkeeping file of a fingerprint, if the lake holds it."""
    for path in (root / "files").glob(f"kind=*/{digest}.parquet"):
        return path
    return None


def _seed(con: duckdb.DuckDBPyConnection, root: Path) -> int:
    """Copy the lake's bookkeeping into the private database (so ingest skips what the lake holds); returns
    the highest file_id it took."""
    books = [str(p) for p in sorted((root / "files").glob("kind=*/*.parquet"))]
    try:
        if books:
            _execute(con, "lake/seed_files", paths=books)
        return queries.run(con, "lake/seeded_max").item()
    except duckdb.Error as err:
        raise db.translate(err, root) from None


def _export(con: duckdb.DuckDBPyConnection, out: Path, kind: str, file_id: int, digest: str) -> None:
    """The private database's tables as Parquet in `out`, laid out as in the lake (names not final yet)."""
    (out / "_schema").mkdir(parents=True)
    try:
        for table in EVENT_TABLES:
            _execute(con, "lake/export_events", table=table, file_id=file_id, sha256=digest, path=str(out / table))
            _execute(con, "lake/export_schema", table=table, path=str(out / "_schema" / f"{table}.parquet"))
        for table in ("rejects", "files"):
            folder = out / table / f"kind={kind}"
            folder.mkdir(parents=True)
            _execute(con, f"lake/export_{table}", file_id=file_id, path=str(folder / "data.parquet"))
    except duckdb.Error as err:
        raise db.translate(err, out) from None


def _execute(con: duckdb.DuckDBPyConnection, name: str, **params) -> None:
    sql, bound = queries.bind(name, params)
    con.execute(sql, bound)


def _publish(root: Path, out: Path, digest: str, *, replace: bool) -> None:
    """Move the exported files into the lake under fingerprint names; the bookkeeping row goes last.
    Older files of the same fingerprint that this run did not write (a crashed attempt with other
    options) are removed first; files this run rewrites are replaced atomically."""
    if not replace and _committed(root, digest) is not None:
        return  # another process published the same content meanwhile
    moves: list[tuple[Path, Path]] = []
    for table in TABLES:
        for src in sorted((out / table).glob("*=*/*.parquet")):
            name = f"{digest}.parquet" if table in ("rejects", "files") else f"{digest}.{src.name}"
            moves.append((src, root / table / src.parent.name / name))
    targets = {dst for _, dst in moves}
    for table in TABLES:
        for stale in (root / table).glob(f"*=*/{digest}.*parquet"):
            if stale not in targets:
                stale.unlink(missing_ok=True)
    for src in sorted((out / "_schema").glob("*.parquet")):
        dst = root / "_schema" / src.name
        if not dst.exists():
            _move(src, dst)
    # Bookkeeping last: until it lands, readers do not see this file at all.
    moves.sort(key=lambda m: m[1].parts[len(root.parts)] == "files")
    for src, dst in moves:
        _move(src, dst)


def _move(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)  # atomic within one file system; the staging folder is inside the lake for that
