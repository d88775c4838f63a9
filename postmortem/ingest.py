"""`ingest`: files -> DuckDB tables, every line loaded or accounted for.

Each file is loaded in one transaction (whole or not at all), fingerprinted by content so a re-run is a
no-op, validated by the staging queries in `queries/ingest/`, and appended without exact duplicates.
Bad lines go to `rejects` with their reason; nothing is silently dropped or nulled.
"""

from __future__ import annotations

import glob
import hashlib
import re
import time
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import zstandard

from postmortem import db, queries, sources
from postmortem.db import translate
from postmortem.errors import InputError, PostmortemError
from postmortem.sources import LogFile

KINDS = ("join", "error", "glitch")
KIND_SIGNATURES = {
    # A field set that identifies the log, each entry a set of accepted aliases.
    "join": [{"event"}, {"user_id", "user", "uid"}, {"space_id", "space", "room_id"}],
    "glitch": [{"glitch", "glitch_kind", "type"}, {"space_id", "space", "room_id"}],
    "error": [{"level", "severity", "lvl"}, {"message"}],
}

Progress = Callable[[Path, int, int], None]  # (file, bytes done, bytes total)


@dataclass
class FileResult:
    path: Path
    kind: str
    format: str
    status: str  # loaded | already loaded
    lines_read: int = 0
    blank: int = 0
    loaded: int = 0
    rejected: int = 0
    duplicates: int = 0
    min_ts: datetime | None = None
    max_ts: datetime | None = None
    seconds: float = 0.0


@dataclass
class IngestSummary:
    files: list[FileResult] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    def by_kind(self) -> dict[str, dict]:
        totals: dict[str, dict] = {}
        for f in self.files:
            t = totals.setdefault(
                f.kind,
                {
                    "files": 0,
                    "loaded": 0,
                    "rejected": 0,
                    "duplicates": 0,
                    "min_ts": None,
                    "max_ts": None,
                },
            )
            t["files"] += 1
            for key in ("loaded", "rejected", "duplicates"):
                t[key] += getattr(f, key)
            if f.min_ts and (t["min_ts"] is None or f.min_ts < t["min_ts"]):
                t["min_ts"] = f.min_ts
            if f.max_ts and (t["max_ts"] is None or f.max_ts > t["max_ts"]):
                t["max_ts"] = f.max_ts
        return totals


def parse_duration(text: str) -> float:
    """`-90s`, `+2m`, `1h30m`, `-1.5` (seconds) -> seconds."""
    match = re.fullmatch(r"\s*([+-])?\s*(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?\s*", text)
    if not match or not any(match.groups()[1:]):
        raise InputError(f"cannot read duration {text!r}; use e.g. +90s, -2m, 1h30m")
    sign, hours, minutes, seconds = match.groups()
    total = float(hours or 0) * 3600 + float(minutes or 0) * 60 + float(seconds or 0)
    return -total if sign == "-" else total


def check_zone(tz: str) -> str:
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {tz!r}; use an IANA name such as UTC or America/New_York") from None
    return tz


def resolve_paths(paths: Iterable[str | Path]) -> list[LogFile]:
    """Files, directories (walked, hidden entries skipped) and globs -> the log files they name."""
    found: list[LogFile] = []
    for given in paths:
        text = str(given)
        matches = sorted(glob.glob(text, recursive=True)) if glob.has_magic(text) else [text]
        if not matches:
            raise InputError(f"no files match {text}")
        for match in matches:
            path = Path(match)
            if path.is_dir():
                logs = [
                    log
                    for p in sorted(path.rglob("*"))
                    if p.is_file()
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                    and (log := sources.recognise(p))
                ]
                if not logs:
                    raise InputError(
                        f"nothing loadable in {path}: no .jsonl, .ndjson, .json, .csv or .parquet files"
                        " (optionally .gz or .zst)"
                    )
                found.extend(logs)
            elif path.is_file():
                log = sources.recognise(path)
                if log is None:
                    raise InputError(
                        f"{path}: unknown format; expected .jsonl, .ndjson, .json, .csv or .parquet"
                        " (optionally .gz or .zst)"
                    )
                found.append(log)
            else:
                raise InputError(f"no such file or directory: {path}")
    return list(dict.fromkeys(found))


def detect_kind(log: LogFile) -> str:
    """Which log a file is: by its name, else by its fields."""
    name = log.path.name.lower()
    named = [kind for kind in KINDS if kind in name]
    if len(named) == 1:
        return named[0]
    if log.format == "parquet":
        with duckdb.connect() as scratch:
            fields = {
                row[0]
                for row in scratch.sql("select name from parquet_schema($p)", params={"p": str(log.path)}).fetchall()
            }
    else:
        fields = sources.header_fields(log)
    for kind, signature in KIND_SIGNATURES.items():
        if all(aliases & fields for aliases in signature):
            return kind
    raise InputError(
        f"{log.path}: cannot tell whether this is a join, error or glitch log from its name or fields;"
        " pass --kind join|error|glitch"
    )


def fingerprint(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def plan(paths: Iterable[str | Path], *, kind: str | None = None, tz: str = "UTC") -> list[tuple[LogFile, str]]:
    """The files to load and which log each is. Raises InputError for a bad path, kind or zone, so a bad
    invocation fails before any database is opened or created."""
    if kind is not None and kind not in KINDS:
        raise InputError(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}")
    check_zone(tz)
    return [(log, kind or detect_kind(log)) for log in resolve_paths(paths)]


def ingest(
    con: duckdb.DuckDBPyConnection,
    paths: Iterable[str | Path],
    *,
    kind: str | None = None,
    tz: str = "UTC",
    clock_offset_s: float = 0.0,
    on_progress: Progress | None = None,
) -> IngestSummary:
    """Load log files; returns what happened to each."""
    return load_all(con, plan(paths, kind=kind, tz=tz), tz=tz, clock_offset_s=clock_offset_s, on_progress=on_progress)


def ingest_into(
    db_path: str | Path,
    paths: Iterable[str | Path],
    *,
    kind: str | None = None,
    tz: str = "UTC",
    clock_offset_s: float = 0.0,
    threads: int = db.DEFAULT_THREADS,
    memory_limit: str = db.DEFAULT_MEMORY_LIMIT,
    on_progress: Progress | None = None,
) -> IngestSummary:
    """`postmortem ingest`: check the inputs, then open (or create) the database and load them."""
    files = plan(paths, kind=kind, tz=tz)
    with db.connect(db_path, threads=threads, memory_limit=memory_limit) as con:
        return load_all(con, files, tz=tz, clock_offset_s=clock_offset_s, on_progress=on_progress)


def load_all(con, files: list[tuple[LogFile, str]], *, tz: str, clock_offset_s: float, on_progress) -> IngestSummary:
    summary = IngestSummary()
    for log, kind in files:
        summary.files.append(load_file(con, log, kind, tz=tz, clock_offset_s=clock_offset_s, on_progress=on_progress))
    return summary


def load_file(
    con: duckdb.DuckDBPyConnection,
    log: LogFile,
    kind: str,
    *,
    tz: str = "UTC",
    clock_offset_s: float = 0.0,
    on_progress: Progress | None = None,
) -> FileResult:
    """Load one file: validate it into a temporary table, then append it in one transaction.

    Staging runs outside the transaction because, inside one, duckdb 2.0.0 keeps every registered batch alive
    until commit (the whole file in memory); temporary tables never reach the database file, so a crash while
    staging leaves the database as it was all the same."""
    started = time.perf_counter()
    digest = fingerprint(log.path)
    result = FileResult(log.path, kind, log.format, "loaded")
    seen = con.sql("select kind from files where sha256 = $d", params={"d": digest}).fetchall()
    if seen:
        result.status = "already loaded"
        return result
    try:
        lines_read = _stage(con, log, kind, tz, clock_offset_s, on_progress)
        counts = queries.run(con, "ingest/stage_counts").row(0, named=True)
        con.execute("begin transaction")
        inserted = 0
        if counts["valid"]:
            inserted = con.execute(
                queries.load(f"ingest/insert_{kind}"),
                {"min_ts": counts["min_ts"], "max_ts": counts["max_ts"]},
            ).fetchall()[0][0]
        result.lines_read, result.blank = lines_read, lines_read - counts["valid"] - counts["rejected"]
        result.loaded, result.rejected = inserted, counts["rejected"]
        result.duplicates = counts["valid"] - inserted
        result.min_ts, result.max_ts = counts["min_ts"], counts["max_ts"]
        result.seconds = time.perf_counter() - started
        file_id = con.execute(
            queries.load("ingest/record_file"),
            {
                "path": str(log.path),
                "sha256": digest,
                "kind": kind,
                "format": log.format,
                "bytes": log.bytes,
                "lines_read": result.lines_read,
                "blank": result.blank,
                "loaded": result.loaded,
                "rejected": result.rejected,
                "duplicates": result.duplicates,
                "min_ts": result.min_ts,
                "max_ts": result.max_ts,
                "tz": tz,
                "clock_offset_s": clock_offset_s,
                "seconds": result.seconds,
            },
        ).fetchall()[0][0]
        con.execute(queries.load("ingest/rejects"), {"file_id": file_id, "kind": kind}).fetchall()
        con.execute("commit")
    except (duckdb.InterruptException, RuntimeError) as err:
        # Ctrl-C inside a DuckDB call: duckdb 2.0.0 raises InterruptException or RuntimeError("Query interrupted").
        _rollback(con)
        if isinstance(err, RuntimeError) and "interrupted" not in str(err).lower():
            raise
        raise KeyboardInterrupt from None
    except (duckdb.Error, OSError, EOFError, zstandard.ZstdError) as err:
        _rollback(con)
        if isinstance(err, duckdb.Error) and not _is_io(err):
            raise InputError(f"{log.path}: {str(err).strip().splitlines()[0]}") from None
        if isinstance(err, (OSError, EOFError)) and not isinstance(err, duckdb.Error):
            raise InputError(f"{log.path}: cannot read: {err}") from None
        raise translate(err, "the database") from None
    except PostmortemError:
        _rollback(con)
        raise
    finally:
        con.execute("drop table if exists staged")
        con.register("source_batch", sources.empty_batch())
    return result


def _stage(con, log: LogFile, kind: str, tz: str, clock_offset_s: float, on_progress) -> int:
    """Validate the file into `staged`, a batch at a time so only one batch of raw text is held at once.
    Returns the number of lines read."""
    stage_sql, params = queries.bind(f"ingest/stage_{kind}", {"tz": tz, "clock_offset_s": clock_offset_s})
    lines_read = 0
    for frame, done in _batches(con, log):
        con.register("source_batch", frame)  # what the view source_lines reads
        # The first batch creates `staged`: appending to a table made by `CREATE TABLE AS ... LIMIT 0` gave
        # wrong scans (rows counted but not returned) on duckdb 2.0.0.
        con.execute(
            ("insert into staged " if lines_read else "create or replace temp table staged as ") + stage_sql, params
        )
        # Replacing a registration without unregistering kept every earlier frame alive (duckdb 2.0.0).
        con.unregister("source_batch")
        lines_read += frame.height
        if on_progress:
            on_progress(log.path, done, log.bytes)
    if not lines_read:
        con.register("source_batch", sources.empty_batch())
        con.execute("create or replace temp table staged as " + stage_sql, params)
    return lines_read


def _batches(con, log: LogFile):
    if log.format == "parquet":
        yield queries.run(con, "ingest/parquet_lines", path=str(log.path)), log.bytes
    elif log.format == "csv":
        yield from sources.prefetched(sources.csv_batches(log, sources.BATCH_BYTES))
    else:
        yield from sources.prefetched(sources.line_batches(log, sources.BATCH_BYTES))


def _rollback(con) -> None:
    try:
        con.execute("rollback")
    except duckdb.Error:
        pass  # the failure already ended the transaction


def _is_io(err: duckdb.Error) -> bool:
    return isinstance(err, duckdb.IOException) or "No space left" in str(err)
