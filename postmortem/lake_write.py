"""The lake, write side: `ingest --lake`, `lake optimize` and `lake convert` (see postmortem/lake.py for the
layout and the read side).

The files are loaded by the ordinary `ingest.ingest` into a private DuckDB database in a temporary folder
(seeded with the lake's bookkeeping, so ingest itself skips what the lake holds). Then each loaded file is
published as three Delta commits, the bookkeeping last:

1. its events, one MERGE into its kind's table: rows whose record hash (md5 of every stored column) another
   file's rows already hold are not inserted and count as duplicates, whichever run or machine delivered
   them; rows this file's content left there before (an ingest that died before step 3, or the load that
   `--replace` takes back) are deleted in the same commit;
2. its rejects, replacing any earlier ones of the same content (one overwrite with a predicate);
3. its `files` row, with `loaded` and `duplicates` as the merge counted them: from this commit on, readers
   see the file (they read only rows of files that have a row here).

Concurrent writers: delta-rs commits by writing the log's next entry only if absent (a local rename without
replace; on S3 a conditional PUT, `If-None-Match`, which AWS and S3-compatible stores honour since 2024).
A writer that loses the race re-checks the winner's changes against what it read; a merge reads the whole
table, so any concurrent insert into it is a conflict, and the loser's merge runs again on the new version
(below, `_retrying`). So two processes delivering the same records at once insert them once.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb

from postmortem import db, ingest, kinds, queries
from postmortem import lake as lake_read
from postmortem.errors import DatabaseError, InputError

COMMIT_ATTEMPTS = 60  # a loser of a commit race tries again; this many losses in a row is an error


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
    """`postmortem ingest --lake LAKE`: load the files into a private database with the ordinary ingest, then
    publish each loaded file. `options` / `option_fields` are ingest's (kind=, tz=, replace=, dedup=, ...)."""
    options = options or ingest.Options(**option_fields)
    location = lake_read.locate(lake, new=True)  # nothing is created before the files have loaded
    with tempfile.TemporaryDirectory(prefix="postmortem-lake-") as staging:
        with db.connect(Path(staging) / "ingest.duckdb", threads=threads, memory_limit=memory_limit) as con:
            after = _seed(con, location)
            # the derived tables are the report's over the whole lake, not this private database's
            summary = ingest.ingest(con, paths, options, on_progress=on_progress, derived=False)
            unlakeable = [f for f in summary.files if not kinds.get(f.kind).lake]
            if unlakeable:  # nothing is published: a lake holds the three logs' tables only
                f = unlakeable[0]
                raise InputError(f"{f.name}: {kinds.get(f.kind).noun} cannot go into a lake yet; ingest it with --db")
            _open_or_create(location, con)
            _publish_fresh(con, location, after, summary, across=options.dedup != "off")
    return summary


def _publish_fresh(con, location, after: int, summary: ingest.IngestSummary | None, *, across: bool) -> None:
    results = {}
    for result in summary.files if summary else []:
        results.setdefault((result.name, result.kind), result)
    for row in queries.run(con, "lake/fresh_files", after=after).to_dicts():
        inserted = _publish(con, location, row, across=across)
        loaded = row["loaded"] if inserted is None else inserted
        duplicates = row["duplicates"] + row["loaded"] - loaded
        _commit_file_row(con, location, row, loaded, duplicates)
        result = results.get((row["path"], row["kind"]))
        if result is not None:
            result.loaded, result.duplicates = loaded, duplicates


def _open_or_create(location: lake_read.Location, con: duckdb.DuckDBPyConnection) -> dict:
    """The lake's tables, created (empty, with the columns the private database's export gives) where missing.
    Two writers creating one table at once: one commit wins, the other opens what it made."""
    from deltalake import DeltaTable
    from deltalake.exceptions import DeltaError, TableNotFoundError

    if location.root is not None:
        try:
            location.root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise DatabaseError(f"cannot create the lake {location.root}: {err.strerror}") from None
        lake_read.check_contained(location.root)  # again: what was planted while the files loaded
    tables = {}
    for name in lake_read.TABLES:
        uri = location.table(name)
        for attempt in range(COMMIT_ATTEMPTS):
            try:
                tables[name] = DeltaTable(uri)
                break
            except TableNotFoundError:
                try:
                    tables[name] = DeltaTable.create(uri, _export(con, name, file_id=-1, sha256="").schema)
                    break
                except DeltaError:
                    _backoff(attempt)  # created meanwhile by another writer: open it next time round
                except OSError as err:  # the store refused the first commit (no such bucket, no permission)
                    raise DatabaseError(f"cannot create the lake {location}: {lake_read.first_line(err)}") from None
            except (DeltaError, OSError) as err:
                raise DatabaseError(f"cannot open the lake {location}: {lake_read.first_line(err)}") from None
        else:
            raise DatabaseError(f"cannot create the lake table {uri}")
    return tables


def _seed(con: duckdb.DuckDBPyConnection, location: lake_read.Location) -> int:
    """Copy the lake's bookkeeping into the private database (so ingest skips what the lake holds); returns
    the highest file_id it took (0 for a new lake)."""
    from deltalake import DeltaTable
    from deltalake.exceptions import DeltaError, TableNotFoundError

    try:
        seed = DeltaTable(location.table("files")).to_pyarrow_table()
    except TableNotFoundError:
        return 0
    except (DeltaError, OSError) as err:  # the store refused (no such bucket, no permission, unreachable)
        raise DatabaseError(f"cannot open the lake {location}: {lake_read.first_line(err)}") from None
    try:
        con.register("lake_seed", seed)
        queries.execute(con, "lake/seed_files")
        con.unregister("lake_seed")
        return queries.run(con, "lake/seeded_max").item()
    except duckdb.Error as err:
        raise db.translate(err, "the lake's bookkeeping") from None


def _export(con: duckdb.DuckDBPyConnection, table: str, *, file_id: int, sha256: str):
    """One file's rows of a lake table as an Arrow table, from the private database (no rows for file_id -1).
    A table, not a stream: a commit that lost a race is retried with the same rows."""
    if table in lake_read.EVENT_TABLES:
        return queries.relation(con, "lake/export_events", table=table, file_id=file_id, sha256=sha256).to_arrow_table()
    return queries.relation(con, f"lake/export_{table}", file_id=file_id, loaded=0, duplicates=0).to_arrow_table()


def _publish(con, location: lake_read.Location, row: dict, *, across: bool) -> int | None:
    """Steps 1 and 2 of the module docstring for one file; returns the rows the merge inserted (None when the
    file loaded nothing, its rows all rejected)."""
    from deltalake import DeltaTable, write_deltalake

    digest = _checked_digest(row["sha256"])
    table = f"{row['kind']}_events"
    if table not in lake_read.EVENT_TABLES:
        raise InputError(f"{row['path']}: the lake holds join, error and glitch logs, not {row['kind']} logs")
    events = _export(con, table, file_id=row["file_id"], sha256=digest)
    # Matching on another file's rows only: this content's own earlier rows are taken back, not matched.
    matches = f"t.record_hash = s.record_hash and t.sha256 <> '{digest}'" if across else "false"

    def merge() -> int:
        merger = DeltaTable(location.table(table)).merge(
            source=events, predicate=matches, source_alias="s", target_alias="t"
        )
        merger = merger.when_not_matched_insert_all().when_not_matched_by_source_delete(f"t.sha256 = '{digest}'")
        return merger.execute()["num_target_rows_inserted"]

    inserted = _retrying(location, merge)
    rejects = _export(con, "rejects", file_id=row["file_id"], sha256=digest)
    _retrying(
        location,
        lambda: write_deltalake(location.table("rejects"), rejects, mode="overwrite", predicate=f"sha256 = '{digest}'"),
    )
    return inserted if row["status"] == "loaded" else None


def _commit_file_row(con, location: lake_read.Location, row: dict, loaded: int, duplicates: int) -> None:
    """Step 3: the file's bookkeeping row, replacing an earlier one of the same content."""
    from deltalake import DeltaTable

    digest = _checked_digest(row["sha256"])
    record = queries.relation(
        con, "lake/export_files", file_id=row["file_id"], loaded=loaded, duplicates=duplicates
    ).to_arrow_table()

    def merge() -> None:
        merger = DeltaTable(location.table("files")).merge(
            source=record,
            predicate=f"t.sha256 = s.sha256 and s.sha256 = '{digest}'",
            source_alias="s",
            target_alias="t",
        )
        merger.when_matched_update_all().when_not_matched_insert_all().execute()

    _retrying(location, merge)


def _checked_digest(text: str) -> str:
    """A file fingerprint goes into a Delta predicate's text: it must be what we made it, 64 hex digits."""
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise DatabaseError(f"not a file fingerprint: {text!r}")
    return text


def _retrying(location: lake_read.Location, commit: Callable):
    """Run a commit again (re-reading the table) while another writer wins the race for the log's next entry."""
    from deltalake.exceptions import CommitFailedError, DeltaError

    for attempt in range(COMMIT_ATTEMPTS):
        try:
            return commit()
        except CommitFailedError:
            _backoff(attempt)
        except (DeltaError, OSError) as err:
            raise DatabaseError(f"cannot write the lake {location}: {lake_read.first_line(err)}") from None
    raise DatabaseError(f"cannot write the lake {location}: {COMMIT_ATTEMPTS} commits in a row lost to other writers")


def _backoff(attempt: int) -> None:
    # jittered, growing to a second: writers that collided once should not collide again in lockstep
    time.sleep(random.uniform(0, min(1.0, 0.02 * 2**attempt)))


def optimize(lake: str | Path, *, retention_hours: int = 168) -> dict[str, dict]:
    """`postmortem lake optimize`: compact each table's small files (one commit per table), then delete the
    files no version younger than `retention_hours` reads (vacuum). Returns what each step did, per table."""
    from deltalake import DeltaTable

    location = lake_read.locate(lake)
    lake_read.read(lake)  # one-line errors for a missing or old-format lake
    done = {}
    for name in lake_read.TABLES:
        table = DeltaTable(location.table(name))
        compacted = _retrying(location, lambda t=table: t.optimize.compact())
        # the retention asked for is the user's choice: Delta's 168-hour floor protects readers of old versions
        removed = _retrying(
            location,
            lambda n=name: DeltaTable(location.table(n)).vacuum(
                retention_hours=retention_hours, dry_run=False, enforce_retention_duration=False
            ),
        )
        done[name] = {
            "files_removed": compacted["numFilesRemoved"],
            "files_added": compacted["numFilesAdded"],
            "files_deleted": len(removed),
        }
    return done


def convert(old: str | Path, new: str | Path, *, threads: int = db.DEFAULT_THREADS) -> int:
    """`postmortem lake convert OLD NEW`: a lake of the earlier Parquet layout (fingerprint-named files, a
    bookkeeping file per input) into a Delta lake, file by file in the order they were ingested, exactly as
    if each had been ingested into NEW (records another file delivered too count as its duplicates now).
    OLD is only read. Returns the number of files converted."""
    old_root = lake_read.locate(old).root
    if old_root is None or not (old_root / "_schema").is_dir():
        raise InputError(f"{old} is not a lake of the earlier Parquet layout (it has no _schema folder)")
    location = lake_read.locate(new, new=True)
    books = [str(p) for p in sorted((old_root / "files").glob("kind=*/*.parquet"))]
    if not books:
        raise InputError(f"no files in the lake {old}")
    with tempfile.TemporaryDirectory(prefix="postmortem-convert-") as staging:
        with db.connect(Path(staging) / "convert.duckdb", threads=threads) as con:
            try:
                queries.execute(con, "lake/legacy_files", paths=books)
                for table in lake_read.EVENT_TABLES:
                    parts = [str(p) for p in sorted((old_root / table).glob("day=*/*.parquet"))]
                    if parts:
                        queries.relation(con, "lake/legacy_events", paths=parts).insert_into(table)
                rejects = [str(p) for p in sorted((old_root / "rejects").glob("kind=*/*.parquet"))]
                if rejects:
                    queries.execute(con, "lake/legacy_rejects", paths=rejects)
            except duckdb.Error as err:
                raise db.translate(err, old_root) from None
            _open_or_create(location, con)
            _publish_fresh(con, location, 0, None, across=True)
            return len(books)
