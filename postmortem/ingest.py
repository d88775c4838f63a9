"""`ingest`: files -> DuckDB tables, every line loaded or accounted for.

Python only orchestrates; DuckDB reads every file (`postmortem.staging`):
  lines_of_files (physical lines)  ->  records_<format> (parsed once into the mapped source values)
  ->  stage_<kind> (our fields, checked; the first failing check is the reject reason)  ->  in one transaction:
  insert_<kind> (exact duplicates by hash), record_files, rejects.
Small JSON-lines files are read and appended in batches (see `batches`), each file still its own in every
table.
What a file is (format, profile, kind) is told from its name and first records; the mapping from its fields to
ours (`postmortem.mapping`) reaches every query as bound parameters. A file loads whole or not at all, is
fingerprinted by content so a re-run is a no-op, and its bad lines go to `rejects` with reason and raw text.
"""

from __future__ import annotations

import glob
import hashlib
import threading
import time
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from postmortem import db, formats, hints, kinds, mapping, profiles, queries, recognition, sources, staging
from postmortem.db import translate
from postmortem.errors import InputError, PostmortemError
from postmortem.plans import FilePlan, FileResult, Options
from postmortem.sources import LogFile

DEDUP_MODES = ("auto", "on", "off")
# --dedup auto: identical records of a JSON/CSV/Parquet log written to the second are real repeats when they
# are at least this share of a file of at least this many records (shippers redeliver far fewer).
REPEATS_SHARE = 0.05
REPEATS_MIN_RECORDS = 1000
# Small JSON-lines files are read and appended in batches of up to this many files and bytes (see batches).
SMALL_FILE_BYTES = 1 << 20
BATCH_FILES = 1000
BATCH_BYTES = 64 << 20
# What the append reads before its kind's insert: the valid rows, less each file's redeliveries, and the rows a
# batch holds twice across its files.
APPEND_STEPS = [
    ("fresh_rows", "ingest/fresh_rows"),
    ("kept_rows", "ingest/kept_rows"),
    ("batch_twins", "ingest/batch_twins"),
]
EMPTY_COUNTS = {"valid": 0, "rejected": 0, "continued": 0, "min_ts": None, "max_ts": None}  # a file with no record

Progress = Callable[[Path, int, int], None]  # (file, bytes done, bytes total)


@dataclass
class IngestSummary:
    files: list[FileResult] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    @property
    def failed(self) -> list[FileResult]:
        """Files whose every line was rejected: nothing of them is in the database."""
        return [f for f in self.files if f.status == "rejected"]

    def by_kind(self) -> dict[str, dict]:
        totals: dict[str, dict] = {}
        for f in self.files:
            t = totals.setdefault(
                f.kind, {"files": 0, "loaded": 0, "rejected": 0, "duplicates": 0, "min_ts": None, "max_ts": None}
            )
            t["files"] += 1
            for key in ("loaded", "rejected", "duplicates"):
                t[key] += getattr(f, key)
            if f.min_ts and (t["min_ts"] is None or f.min_ts < t["min_ts"]):
                t["min_ts"] = f.min_ts
            if f.max_ts and (t["max_ts"] is None or f.max_ts > t["max_ts"]):
                t["max_ts"] = f.max_ts
        return totals


def check_zone(tz: str) -> str:
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {tz!r}; use an IANA name such as UTC or America/New_York") from None
    return tz


def check_options(options: Options) -> Options:
    if options.kind is not None:
        kinds.get(options.kind)
    if options.format is not None and options.format not in formats.CHOICES:
        raise InputError(f"unknown format {options.format!r}; use one of: {', '.join(formats.CHOICES)}")
    if options.dedup not in DEDUP_MODES:
        raise InputError(f"unknown --dedup {options.dedup!r}; use one of: {', '.join(DEDUP_MODES)}")
    if options.profile is not None:
        profiles.load(options.profile)
    if options.mapping.pattern is not None:
        profiles.check_pattern(options.mapping.pattern)
    check_zone(options.tz)
    return options


def resolve_paths(paths: Iterable[str | Path]) -> list[tuple[Path, Path | None]]:
    """Files, directories (walked, hidden entries skipped) and globs -> the files they name, each with the
    directory it was found in (None when named itself)."""
    found: list[tuple[Path, Path | None]] = []
    for given in paths:
        text = str(given)
        matches = sorted(glob.glob(text, recursive=True)) if glob.has_magic(text) else [text]
        if not matches:
            raise InputError(f"no files match {text}")
        for match in matches:
            path = Path(match)
            if path.is_dir():
                files = [
                    p
                    for p in sorted(path.rglob("*"))
                    if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
                ]
                if not files:
                    raise InputError(f"nothing loadable in {path}: the folder holds no files")
                found.extend((p, path) for p in files)
            elif path.is_file():
                found.append((path, None))
            elif path.exists():  # a FIFO, socket or device: reading one may never end
                raise InputError(f"not a regular file: {path} (a FIFO, socket or device); pass a log file")
            else:
                raise InputError(f"no such file or directory: {path}")
    return list(dict.fromkeys(found))


def _fingerprint_and_check(log: LogFile, out: dict, alone: bool = False) -> None:
    """Beside DuckDB's read: the content fingerprint, for .zst whether the stream is whole, and whether a line is
    longer than DuckDB's reader keeps (see sources.long_line; a gzip file read `alone` is checked as it is fed
    to DuckDB, see sources.Feed)."""
    try:
        out["sha256"] = fingerprint(log.path)
        traits = formats.get(log.format)
        lines = traits.read == "lines" and traits.route != "whole"  # split by DuckDB's line reader
        tail = sources.LongestLine() if lines else None
        if log.compression == "zstd" and not sources.zstd_is_whole(log.path, tail):
            out["error"] = InputError(f"{log.name}: truncated zstd stream (the file ends inside a frame)")
        if tail is None or (alone and log.compression == "gzip"):
            out["long_line"] = False
        elif log.compression == "zstd":
            out["long_line"] = tail.length > sources.LINE_LIMIT
        else:
            out["long_line"] = sources.long_line(log)
    except sources.READ_ERRORS as err:
        out["error"] = InputError(f"{log.name}: cannot read: {err}")


def fingerprint(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def plan(paths: Iterable[str | Path], options: Options | None = None) -> list[FilePlan]:
    """The files to load and how. Raises InputError for a bad path, option or zone, so a bad invocation fails
    before any database is opened or created."""
    options = check_options(options or Options())
    chosen = profiles.load(options.profile) if options.profile else None
    planned: list[FilePlan] = []
    skipped: dict[Path, list[str]] = {}
    for path, folder in resolve_paths(paths):
        try:
            planned.append(_plan_file(path, options, chosen))
        except InputError as err:
            if folder is None:
                raise
            skipped.setdefault(folder, []).append(str(err))
    for folder, reasons in skipped.items():
        if not any(p.log.path.is_relative_to(folder) for p in planned):
            raise InputError(f"nothing loadable in {folder}: {reasons[0]}")
    return planned


def _plan_file(path: Path, options: Options, chosen: profiles.Profile | None) -> FilePlan:
    wanted = kinds.get(options.kind) if options.kind else None
    if wanted and not wanted.staged:  # --kind names a kind read whole: its content says yes or the file is refused
        log = wanted.recognise(path)
        if log is None:
            raise wanted.refuse(path)
        return FilePlan(log, wanted.name, None)
    if wanted is None and chosen is None and options.format is None:
        for kind in kinds.every().values():  # a dump or an export is told by its content, whatever its name
            if not kind.staged and (log := kind.recognise(path)):
                return FilePlan(log, kind.name, None)
    fmt = options.format or (chosen.format if chosen else None)
    log = sources.recognise(path, (formats.get(fmt).sniffed_as or fmt) if fmt else None)
    profile = chosen or _profile_of(log, options)
    if profile and profile.format and formats.get(profile.format).sniffed_as == log.format:
        log = LogFile(log.path, profile.format, log.compression)
    return FilePlan(log, _kind_of(log, options, profile), profile)


def _profile_of(log: LogFile, options: Options) -> profiles.Profile | None:
    """A built-in profile by the file's fields (JSON, CSV) or lines (text); None means our own field names."""
    by = formats.get(log.format).profile_by
    if by in profiles.built_in():
        return profiles.built_in()[by]
    if by == "fields":
        records = sources.head_records(log, recognition.HEAD_RECORDS)
        return recognition.choose_structured(log.name, sources.head_fields(log), records, options.mapping)
    if by == "lines" and options.mapping.pattern is None:
        lines = sources.head_lines(sources.head(log.path, log.compression))
        try:
            return recognition.choose_text(log.name, lines, options.mapping)
        except recognition.Unread as err:
            raise InputError(f"{err}; {hints.for_text(lines)}") from None
    return None


def _kind_of(log: LogFile, options: Options, profile: profiles.Profile | None) -> str:
    """Which log a file is: --kind, else its name, else the profile, else its fields."""
    if options.kind:
        return options.kind
    name = log.path.name.lower()
    named = [kind for kind in kinds.staged() if kind in name]
    if len(named) == 1:
        return named[0]
    if profile and profile.kind:
        return profile.kind
    if not formats.get(log.format).kind_by_fields:
        return kinds.TEXT_KIND
    fields = sources.head_fields(log)
    kind = kinds.by_signature(fields)
    if kind:
        return kind
    shown = ", ".join(sorted({f.lower() for f in fields})[:12]) or "no named fields"
    *some, last = kinds.staged()
    raise InputError(
        f"{log.name}: cannot tell whether this is a {', '.join(some)} or {last} log from its name or fields"
        f" (it has: {shown}); pass --kind {'|'.join(kinds.names())}: {hints.for_kind(log, fields, options.mapping)}"
    )


def ingest(
    con: duckdb.DuckDBPyConnection,
    paths: Iterable[str | Path],
    options: Options | None = None,
    *,
    on_progress: Progress | None = None,
    derived: bool = True,
    **option_fields,
) -> IngestSummary:
    """Load log files; returns what happened to each. Options come as an `Options` or as its fields. `derived`:
    keep the report's derived tables up to date at the end (not in a lake's private staging database)."""
    options = options or Options(**option_fields)
    files = plan(paths, options)
    return load_all(con, files, options, on_progress=on_progress, derived=derived)


def ingest_into(
    db_path: str | Path,
    paths: Iterable[str | Path],
    options: Options | None = None,
    *,
    threads: int = db.DEFAULT_THREADS,
    memory_limit: str = db.DEFAULT_MEMORY_LIMIT,
    on_progress: Progress | None = None,
) -> IngestSummary:
    """`postmortem ingest`: check the inputs, then open (or create) the database and load them."""
    options = options or Options()
    files = plan(paths, options)
    with db.connect(db_path, threads=threads, memory_limit=memory_limit) as con:
        return load_all(con, files, options, on_progress=on_progress)


def load_all(
    con, files: list[FilePlan], options: Options, *, on_progress: Progress | None = None, derived: bool = True
) -> IngestSummary:
    prepare(con)
    summary = IngestSummary()
    for batch in batches(files, options):
        summary.files.extend(load_batch(con, batch, options, on_progress=on_progress))
    if derived:
        db.refresh_derived(con)
    return summary


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """What ingest needs on its connection: the parsing macros (temporary, this connection only)."""
    queries.execute_script(con, "ingest/macros")


def batches(files: list[FilePlan], options: Options) -> Iterable[list[FilePlan]]:
    """The files in order, in the groups they are read and appended in: a run of small JSON-lines files of one
    kind, profile, compression and modification year together (each file's dozen statements would cost more
    than its lines), every other file alone."""
    batch: list[FilePlan] = []
    size, key = 0, None
    for planned in files:
        batchable = _batchable(planned, options)
        if batch and not (
            batchable
            and _batch_key(planned, options) == key
            and len(batch) < BATCH_FILES
            and size + planned.log.bytes <= BATCH_BYTES
        ):
            yield batch
            batch, size = [], 0
        if batchable:
            if not batch:
                key = _batch_key(planned, options)
            batch.append(planned)
            size += planned.log.bytes
        else:
            yield [planned]
    if batch:
        yield batch


def _batchable(planned: FilePlan, options: Options) -> bool:
    # JSON lines only: every line is a record on its own (a CSV header, a quoted newline or a stack trace would
    # tie lines of one file together); and WebRTC dumps, each read whole. --replace takes files back one at a time.
    log = planned.log
    return (
        formats.get(log.format).batchable
        and 0 < log.bytes <= SMALL_FILE_BYTES
        and log.name_is_utf8
        and not options.replace
    )


def _batch_key(planned: FilePlan, options: Options) -> tuple:
    # a year-less timestamp takes its file's modification year unless --year is given
    year = options.year or datetime.fromtimestamp(planned.log.path.stat().st_mtime, UTC).year
    return (planned.kind, planned.log.format, planned.log.duckdb_compression, planned.profile, year)


def load_batch(
    con: duckdb.DuckDBPyConnection, batch: list[FilePlan], options: Options, *, on_progress: Progress | None = None
) -> list[FileResult]:
    """Load one file, or a batch of small files read as one: read and validate them into temporary tables, then
    append them in one transaction (each file whole or not at all, and its rows, rejects and bookkeeping its
    own, exactly as if it were loaded alone). A batch DuckDB cannot read as one is loaded file by file.

    Staging runs outside the transaction (temporary tables never reach the database file, so a crash while
    staging leaves the database as it was); the fingerprints are computed while DuckDB reads a lone file."""
    kind = kinds.get(batch[0].kind)
    if kind.load:  # read whole by its kind's own module, which keeps its own books
        return kind.load(con, batch, options)
    if not kind.staged:
        return [_load_whole(con, planned, options, kind) for planned in batch]
    results = [
        FileResult(p.log.path, p.kind, p.log.format, "loaded", profile=p.profile.name if p.profile else None)
        for p in batch
    ]
    digests: list[dict] = [{} for _ in batch]
    hashing = threading.Thread(target=_fingerprint_each, args=([p.log for p in batch], digests), daemon=True)
    hashing.start()
    try:
        todo, earlier = list(range(len(batch))), None  # a lone file's fingerprint is awaited after its read
        if len(batch) > 1 or (
            not options.replace and queries.run(con, "ingest/same_size", bytes=[batch[0].log.bytes]).item()
        ):
            hashing.join()  # perhaps loaded already: know before reading
            earlier = _earlier(con, digests)
            if len(batch) > 1 and any(d["long_line"] for d in digests):
                raise staging.BatchRefused  # such a file is split in Python, alone
            if len({d["sha256"] for d in digests}) < len(digests):
                raise staging.BatchRefused  # two of one content: is the second "already loaded"? the first says
            todo = [i for i in todo if not _already_loaded(results[i], earlier[i], options)]
        if todo:
            _load(
                con,
                [batch[i] for i in todo],
                [results[i] for i in todo],
                [digests[i] for i in todo],
                None if earlier is None else [earlier[i] for i in todo],
                options,
                hashing,
                on_progress,
            )
    except staging.BatchRefused:
        return _one_by_one(con, batch, options, on_progress)
    except (duckdb.InterruptException, RuntimeError) as err:
        # Ctrl-C inside a DuckDB call: duckdb 2.0 raises InterruptException or RuntimeError("Query interrupted").
        if isinstance(err, RuntimeError) and "interrupted" not in str(err).lower():
            raise
        raise KeyboardInterrupt from None
    except (duckdb.Error, PostmortemError) as err:
        if len(batch) > 1:  # said of the file it concerns when that file is loaded alone
            return _one_by_one(con, batch, options, on_progress)
        if isinstance(err, PostmortemError):
            raise
        if isinstance(err, duckdb.IOException) or "No space left" in str(err):
            raise translate(err, "the database") from err
        raise InputError(f"{batch[0].log.name}: {staging.first_line(err)}") from err
    finally:
        queries.execute(con, "ingest/cleanup")
    return results


def _load_whole(con, planned: FilePlan, options: Options, kind: kinds.Kind) -> FileResult:
    """A file of a read kind that ingest keeps the books of (a metrics export): staged by its kind, then appended
    with its bookkeeping in one transaction, like a log file; a file loaded before is not read again."""
    log, started = planned.log, time.perf_counter()
    result = FileResult(log.path, planned.kind, log.format, "loaded")
    digest: dict = {}
    _fingerprint_and_check(log, digest)
    earlier = _earlier(con, [digest])[0]
    if _already_loaded(result, earlier, options):
        return result
    try:
        loaded = kind.stage(con, log, options)
        with db.transaction(con):
            for old in earlier:
                queries.execute(con, "ingest/forget_file", file_id=old["file_id"])
                result.notes.append(f"replaced what this file loaded before (file {old['file_id']})")
            file_id = queries.run(con, "ingest/next_file_ids", files=1).item()
            kind.append(con, loaded, file_id)
            for key in ("lines_read", "blank", "loaded", "rejected", "duplicates", "min_ts", "max_ts", "top_reasons"):
                setattr(result, key, getattr(loaded, key))
            if loaded.loaded + loaded.duplicates == 0 and loaded.rejected:
                result.status = "rejected"
            result.seconds = time.perf_counter() - started
            queries.execute(con, "ingest/record_files", **_file_records([result], [log], [digest], [file_id], options))
    except (duckdb.InterruptException, KeyboardInterrupt):
        raise KeyboardInterrupt from None
    except duckdb.IOException as err:
        raise translate(err, "the database") from err
    except duckdb.Error as err:
        raise InputError(f"{log.name}: cannot read this {log.format} export: {staging.first_line(err)}") from err
    finally:
        kind.cleanup(con)
    return result


def _one_by_one(con, batch: list[FilePlan], options: Options, on_progress: Progress | None) -> list[FileResult]:
    """A batch that cannot be loaded as one, loaded a file at a time (its staging dropped first)."""
    queries.execute(con, "ingest/cleanup")
    return [r for planned in batch for r in load_batch(con, [planned], options, on_progress=on_progress)]


def _already_loaded(result: FileResult, earlier: list[dict], options: Options) -> bool:
    """Whether a file of a batch is in the database already (marked so)."""
    if _loaded(earlier) and not options.replace:
        result.status = "already loaded"
        return True
    return False


def _load(con, batch, results, digests, earlier, options: Options, hashing: threading.Thread, on_progress) -> None:
    started = time.perf_counter()
    logs = [p.log for p in batch]
    with _progress(con, logs, on_progress) as progress:
        staged = staging.read_and_stage(con, batch, options, on_read=progress.fed)
        if len(batch) == 1 and not staged.split_in_python:
            hashing.join()
            if digests[0].get("long_line") or staged.long_line:  # DuckDB may have dropped it: Python splits the file
                staged = staging.read_and_stage(con, batch, options, in_python=True)
    lines = staged.lines
    first_lines = [lines.get(i, (0, 0))[0] for i in range(len(batch))]
    per_file = _per_file(con)
    valid = [per_file["counts"].get(i, EMPTY_COUNTS)["valid"] for i in range(len(batch))]
    queries.execute(con, "ingest/repeated_hashes")
    repeats = dict(queries.run(con, "ingest/repeats").rows())
    # only where identical records are to be told apart (reads the first records again)
    per_file["sub_second"] = staging.sub_second(con, staged, len(batch)) if repeats else {}
    for i, result in enumerate(results):
        result.plan = staged.plan
        result.notes.extend(staged.notes)
        if staged.file_services[i]:
            result.notes.append(mapping.service_note(staged.file_services[i]))
        _fill(result, con, per_file, i, lines.get(i, (0, 0))[1] - staged.header_line, staged, logs[i])
    within = [
        options.dedup == "on"
        or (options.dedup == "auto" and not _real_repeats(log, r, valid[i], repeats.get(i, 0), per_file, i))
        for i, (log, r) in enumerate(zip(logs, results, strict=True))
    ]
    queries.execute(con, "ingest/keep_rejected")
    queries.execute(con, "ingest/release_lines")
    hashing.join()
    if earlier is None:
        earlier = _earlier(con, digests)
        if _loaded(earlier[0]) and not options.replace:
            results[0].status, results[0].lines_read = "already loaded", 0
            return
    with db.transaction(con):
        for result, olds in zip(results, earlier, strict=True):  # a file rejected whole before, or --replace
            for old in olds:
                queries.execute(con, "ingest/forget_file", file_id=old["file_id"])
                result.notes.append(f"replaced what this file loaded before (file {old['file_id']})")
        file_ids = queries.run(con, "ingest/next_file_ids", files=len(batch)).to_series().to_list()
        if any(valid):
            queries.execute_chained(
                con,
                APPEND_STEPS,
                f"ingest/insert_{batch[0].kind}",
                file_ids=file_ids,
                within=within,
                across=options.dedup != "off",
                min_ts=min(r.min_ts for r in results if r.min_ts),
                max_ts=max(r.max_ts for r in results if r.max_ts),
            )
        loaded = dict(queries.run(con, "ingest/loaded_rows", file_ids=file_ids).rows())
        seconds = (time.perf_counter() - started) / len(batch)
        for file_id, result, count in zip(file_ids, results, valid, strict=True):
            result.loaded = loaded.get(file_id, 0)
            result.duplicates, result.seconds = count - result.loaded, seconds
        queries.execute(con, "ingest/record_files", **_file_records(results, logs, digests, file_ids, options))
        queries.execute(con, "ingest/rejects", file_ids=file_ids, first_lines=first_lines, kind=batch[0].kind)


def _fingerprint_each(logs: list[LogFile], out: list[dict]) -> None:
    for log, digest in zip(logs, out, strict=True):
        _fingerprint_and_check(log, digest, alone=len(logs) == 1)


def _earlier(con, digests: list[dict]) -> list[list[dict]]:
    """What the database holds of files with these contents, per file (raising what the fingerprinting met)."""
    for digest in digests:
        if isinstance(digest.get("error"), Exception):
            raise digest["error"]
    rows = queries.run(con, "ingest/loaded_file", sha256=[d["sha256"] for d in digests]).to_dicts()
    return [[row for row in rows if row["sha256"] == d["sha256"]] for d in digests]


def _loaded(earlier: list[dict]) -> bool:
    """Loaded before (a file rejected whole is read again)."""
    return bool(earlier) and earlier[0]["status"] == "loaded"


def _per_file(con) -> dict[str, dict]:
    """Each staged file's counts and commonest reject reasons, by file_no."""
    return {
        "counts": {row["file_no"]: row for row in queries.run(con, "ingest/stage_counts").to_dicts()},
        "reasons": queries.run(con, "ingest/top_reasons").rows(),
    }


def _real_repeats(log: LogFile, result: FileResult, valid: int, repeats: int, per_file: dict, i: int) -> bool:
    """`--dedup auto`: are this file's identical records real repeats rather than a shipper's redeliveries?
    Always in a text log (the program's own output: nothing redelivers a line into it). In JSON, CSV or Parquet
    records only where timestamps are written to the second (sub-second ones make equal records the same event)
    and repeats are far above any redelivery rate: 5% of a file of 1,000 or more records. See docs/log-format.md."""
    if formats.get(log.format).own_output:
        return True
    if repeats == 0:
        return True  # nothing to tell apart: skip the duplicate pass
    result.sub_second = per_file["sub_second"].get(i, False)
    if result.sub_second or valid < REPEATS_MIN_RECORDS:
        return False
    return repeats >= REPEATS_SHARE * valid


def _fill(
    result: FileResult, con, per_file: dict, i: int, lines_read: int, staged: staging.Staged, log: LogFile
) -> None:
    """A staged file's counts into its result (what it loads and drops is known after the append)."""
    counts = per_file["counts"].get(i, EMPTY_COUNTS)
    result.lines_read = lines_read
    result.continued = counts["continued"]
    if formats.get(result.format).many_per_line:  # count blank lines themselves
        result.blank = queries.run(con, "ingest/blank_lines", after=staged.header_line).item()
    else:  # every other line is a record, part of one (continued), or blank
        result.blank = result.lines_read - counts["valid"] - counts["rejected"] - result.continued
    result.rejected = counts["rejected"]
    result.min_ts, result.max_ts = counts["min_ts"], counts["max_ts"]
    result.top_reasons = [(reason, lines) for file_no, reason, lines in per_file["reasons"] if file_no == i]
    if counts["valid"] == 0 and counts["rejected"] > 0:
        result.status = "rejected"  # what to pass instead: read again from the file's first records
        result.hint = hints.for_rejects(log, staged.plan, staged.available, result.top_reasons)
    if result.continued:
        result.notes.append(f"{result.continued:,} line(s) joined to the record above them (multi-line records)")


def _file_records(
    results: list[FileResult], logs: list[LogFile], digests: list[dict], file_ids: list[int], options: Options
) -> dict:
    """The `files` rows of a batch, as one list per column (see record_files.sql)."""
    return {
        "file_id": file_ids,
        "path": [log.name for log in logs],
        "sha256": [d["sha256"] for d in digests],
        "kind": results[0].kind,
        "format": logs[0].format,
        "bytes": [log.bytes for log in logs],
        "lines_read": [r.lines_read for r in results],
        "blank": [r.blank for r in results],
        "loaded": [r.loaded for r in results],
        "rejected": [r.rejected for r in results],
        "duplicates": [r.duplicates for r in results],
        "min_ts": [r.min_ts for r in results],
        "max_ts": [r.max_ts for r in results],
        "tz": options.tz,
        "clock_offset_s": options.clock_offset_s,
        "seconds": [r.seconds for r in results],
        "continued": [r.continued for r in results],
        "status": [r.status for r in results],
        "options": options.recorded(),
    }


class _progress:
    """Reports DuckDB's progress on the statement running (query_progress, polled from a thread) as bytes of a
    lone file; the files of a batch are reported done together."""

    def __init__(self, con, logs: list[LogFile], on_progress: Progress | None):
        self.con, self.logs, self.on_progress = con, logs, on_progress
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def __enter__(self):
        if self.on_progress and len(self.logs) == 1:
            self.on_progress(self.logs[0].path, 0, self.logs[0].bytes)
            self.thread = threading.Thread(target=self._poll, daemon=True)
            self.thread.start()
        return self

    def fed(self, done: int) -> None:
        """Bytes of a gzip file its feed has read (sources.Feed): DuckDB, reading a pipe, cannot tell."""
        if self.on_progress:
            self.on_progress(self.logs[0].path, done, self.logs[0].bytes)

    def _poll(self):
        log = self.logs[0]
        if log.compression == "gzip":  # reported by fed(): DuckDB's own figure for a pipe is meaningless
            return
        while not self.stop.wait(0.2):
            try:
                done = self.con.query_progress()
            except duckdb.Error:
                continue
            if done and done > 0:
                self.on_progress(log.path, int(log.bytes * min(done, 100) / 100), log.bytes)

    def __exit__(self, *exc):
        self.stop.set()
        if self.thread:
            self.thread.join()
        if self.on_progress:
            for log in self.logs:
                self.on_progress(log.path, log.bytes, log.bytes)
        return False


__all__ = ["FileResult", "IngestSummary", "Options", "PostmortemError", "ingest", "ingest_into", "plan"]
