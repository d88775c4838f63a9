"""`ingest`: files -> DuckDB tables, every line loaded or accounted for.

Python only orchestrates; DuckDB reads every file, in parallel where the format allows:
  read_lines (physical lines, numbered)  ->  records_<format> (parsed once into the mapped source values)
  ->  stage_<kind> (our fields, checked; the first failing check is the reject reason)  ->  in one transaction:
  insert_<kind> (exact duplicates by hash), record_file, rejects.
What a file is (format, profile, kind) is told from its name and first records; the mapping from its fields to
ours (`postmortem.mapping`) reaches every query as bound parameters. A file loads whole or not at all, is
fingerprinted by content so a re-run is a no-op, and its bad lines go to `rejects` with reason and raw text.
"""

from __future__ import annotations

import glob
import hashlib
import json
import re
import threading
import time
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import zstandard

from postmortem import db, mapping, profiles, queries, sources, staging
from postmortem.db import translate
from postmortem.errors import InputError, PostmortemError
from postmortem.sources import LogFile

KINDS = ("join", "error", "glitch")
KIND_SIGNATURES = {
    # A field set that identifies the log, each entry a set of accepted aliases (matched case-insensitively).
    "join": [{"event"}, {"user_id", "user", "uid"}, {"space_id", "space", "room_id"}],
    "glitch": [{"glitch", "glitch_kind", "type"}, {"space_id", "space", "room_id"}],
    "error": [set(mapping.ALIASES["level"]), set(mapping.ALIASES["message"])],
}
DEDUP_MODES = ("auto", "on", "off")
# --dedup auto: identical records of a JSON/CSV/Parquet log written to the second are real repeats when they
# are at least this share of a file of at least this many records (shippers redeliver far fewer).
REPEATS_SHARE = 0.05
REPEATS_MIN_RECORDS = 1000

Progress = Callable[[Path, int, int], None]  # (file, bytes done, bytes total)


@dataclass
class FileResult:
    path: Path
    kind: str
    format: str
    status: str  # loaded | already loaded | rejected | replaced
    lines_read: int = 0
    blank: int = 0
    loaded: int = 0
    rejected: int = 0
    duplicates: int = 0
    continued: int = 0
    min_ts: datetime | None = None
    max_ts: datetime | None = None
    seconds: float = 0.0
    profile: str | None = None
    notes: list[str] = field(default_factory=list)  # what was assumed (a default service, a year) or went wrong
    top_reasons: list[tuple[str, int]] = field(default_factory=list)
    hint: str | None = None  # what to pass when nothing loaded, built from what the file has
    sub_second: bool = False  # timestamps written below a second (for --dedup auto; judged where records repeat)
    plan: mapping.Plan | None = field(default=None, repr=False)  # how the file was mapped

    @property
    def name(self) -> str:
        """The path as valid UTF-8 text (undecodable bytes of a file name escaped)."""
        return LogFile(self.path, self.format, None).name


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


@dataclass(frozen=True)
class Options:
    """How to read the files: everything `postmortem ingest` takes besides paths and the database."""

    kind: str | None = None
    format: str | None = None
    profile: str | None = None
    mapping: mapping.Mapping = field(default_factory=mapping.Mapping)
    tz: str = "UTC"
    clock_offset_s: float = 0.0
    year: int | None = None
    dedup: str = "auto"
    replace: bool = False

    def recorded(self) -> str:
        """What a file was read with, kept in `files.options`."""
        mapped = {k: sorted(v) if isinstance(v, frozenset) else v for k, v in asdict(self.mapping).items()}
        return json.dumps(
            {
                "format": self.format,
                "profile": self.profile,
                "year": self.year,
                "dedup": self.dedup,
                "mapping": {k: v for k, v in mapped.items() if v},
            },
            sort_keys=True,
        )


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


def check_options(options: Options) -> Options:
    if options.kind is not None and options.kind not in KINDS:
        raise InputError(f"unknown kind {options.kind!r}; use one of: {', '.join(KINDS)}")
    if options.format is not None and options.format not in profiles.PROFILE_FORMATS:
        raise InputError(f"unknown format {options.format!r}; use one of: {', '.join(profiles.PROFILE_FORMATS)}")
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
            else:
                raise InputError(f"no such file or directory: {path}")
    return list(dict.fromkeys(found))


def _fingerprint_and_check(log: LogFile, out: dict) -> None:
    """Beside DuckDB's read: the content fingerprint, and for .zst whether the stream is whole."""
    try:
        out["sha256"] = fingerprint(log.path)
        if log.compression == "zstd" and not sources.zstd_is_whole(log.path):
            out["error"] = InputError(f"{log.name}: truncated zstd stream (the file ends inside a frame)")
    except (OSError, zstandard.ZstdError) as err:
        out["error"] = InputError(f"{log.name}: cannot read: {err}")


def fingerprint(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@dataclass(frozen=True)
class FilePlan:
    """One file as it will be read: its format, the profile it matched (if any) and which log it is."""

    log: LogFile
    kind: str
    profile: profiles.Profile | None


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
    fmt = options.format or (chosen.format if chosen else None)
    log = sources.recognise(path, "jsonl" if fmt == "otlp" else fmt)
    profile = chosen or _profile_of(log, options)
    if profile and profile.format == "otlp":
        log = LogFile(log.path, "otlp", log.compression)
    return FilePlan(log, _kind_of(log, options, profile), profile)


def _profile_of(log: LogFile, options: Options) -> profiles.Profile | None:
    """A built-in profile by the file's fields (JSON, CSV) or lines (text); None means our own field names."""
    if log.format in ("jsonl", "csv"):
        return profiles.detect(sources.head_fields(log))
    if log.format == "logfmt":
        return profiles.built_in()["logfmt"]
    if log.format == "text" and options.mapping.pattern is None:
        lines = sources.head_lines(sources.head(log.path, log.compression))
        best, share = None, 0.0
        for profile in profiles.text_profiles():
            pattern = re.compile(profile.mapping.pattern)
            hits = sum(1 for line in lines if pattern.match(line))
            if lines and hits / len(lines) > share:
                best, share = profile, hits / len(lines)
        if best is None or share < 0.5:
            sample = lines[0][:80] if lines else "(empty)"
            raise InputError(
                f"{log.name}: cannot read this text log: no built-in format matches its lines (first: {sample!r});"
                " pass --pattern with named groups, e.g. '^(?P<ts>\\S+ \\S+) (?P<level>\\w+) (?P<message>.*)$',"
                " or --profile (see `postmortem profiles`)"
            )
        return best
    return None


def _kind_of(log: LogFile, options: Options, profile: profiles.Profile | None) -> str:
    """Which log a file is: --kind, else its name, else the profile, else its fields."""
    if options.kind:
        return options.kind
    name = log.path.name.lower()
    named = [kind for kind in KINDS if kind in name]
    if len(named) == 1:
        return named[0]
    if profile and profile.kind:
        return profile.kind
    if log.format in ("text", "logfmt", "otlp"):
        return "error"
    fields = {f.lower() for f in sources.head_fields(log)}
    for kind, signature in KIND_SIGNATURES.items():
        if all({a.lower() for a in aliases} & fields for aliases in signature):
            return kind
    raise InputError(
        f"{log.name}: cannot tell whether this is a join, error or glitch log from its name or fields"
        f" (it has: {', '.join(sorted(fields)[:12]) or 'no named fields'}); pass --kind join|error|glitch"
    )


def ingest(
    con: duckdb.DuckDBPyConnection,
    paths: Iterable[str | Path],
    options: Options | None = None,
    *,
    on_progress: Progress | None = None,
    **option_fields,
) -> IngestSummary:
    """Load log files; returns what happened to each. Options come as an `Options` or as its fields."""
    options = options or Options(**option_fields)
    files = plan(paths, options)
    return load_all(con, files, options, on_progress=on_progress)


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


def load_all(con, files: list[FilePlan], options: Options, *, on_progress: Progress | None = None) -> IngestSummary:
    prepare(con)
    summary = IngestSummary()
    for planned in files:
        summary.files.append(load_file(con, planned, options, on_progress=on_progress))
    return summary


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """What ingest needs on its connection: the parsing macros (temporary, this connection only)."""
    queries.execute_script(con, "ingest/macros")


def load_file(
    con: duckdb.DuckDBPyConnection, planned: FilePlan, options: Options, *, on_progress: Progress | None = None
) -> FileResult:
    """Load one file: read and validate it into temporary tables, then append it in one transaction.

    Staging runs outside the transaction (temporary tables never reach the database file, so a crash while
    staging leaves the database as it was); the fingerprint is computed while DuckDB reads."""
    log, kind = planned.log, planned.kind
    started = time.perf_counter()
    result = FileResult(log.path, kind, log.format, "loaded", profile=planned.profile.name if planned.profile else None)
    digest: dict[str, object] = {}
    hashing = threading.Thread(target=_fingerprint_and_check, args=(log, digest), daemon=True)
    hashing.start()
    try:
        if queries.run(con, "ingest/same_size", bytes=log.bytes).item() and not options.replace:
            hashing.join()  # perhaps loaded already: know before reading it all
            if _loaded(_earlier(con, digest)):
                result.status = "already loaded"
                return result
        with _progress(con, log, on_progress):
            result.lines_read = staging.read_lines(con, log)
            header_line = staging.stage(con, planned, options, result)
            result.lines_read -= header_line  # a CSV's header is not a data line
        counts = queries.run(con, "ingest/stage_counts").row(0, named=True)
        queries.execute(con, "ingest/repeated_hashes")
        _fill(result, con, counts, header_line)
        real_repeats = _real_repeats(con, log, result, counts)  # reads records: before they are released
        queries.execute(con, "ingest/keep_rejected")
        queries.execute(con, "ingest/release_lines")
        hashing.join()
        earlier = _earlier(con, digest)
        if _loaded(earlier) and not options.replace:
            result.status, result.lines_read = "already loaded", 0
            return result
        within = options.dedup == "on" or (options.dedup == "auto" and not real_repeats)
        with db.transaction(con):
            for old in earlier:
                queries.execute(con, "ingest/forget_file", file_id=old["file_id"])
                result.notes.append(f"replaced what this file loaded before (file {old['file_id']})")
            file_id = queries.run(con, "ingest/next_file_id").item()
            inserted = 0
            if counts["valid"]:
                inserted = queries.execute(
                    con,
                    f"ingest/insert_{kind}",
                    file_id=file_id,
                    within=within,
                    across=options.dedup != "off",
                    min_ts=counts["min_ts"],
                    max_ts=counts["max_ts"],
                )
            result.loaded, result.duplicates = inserted, counts["valid"] - inserted
            result.seconds = time.perf_counter() - started
            queries.execute(con, "ingest/record_file", **_file_record(result, log, digest["sha256"], file_id, options))
            queries.execute(con, "ingest/rejects", file_id=file_id, kind=kind)
    except (duckdb.InterruptException, RuntimeError) as err:
        # Ctrl-C inside a DuckDB call: duckdb 2.0 raises InterruptException or RuntimeError("Query interrupted").
        if isinstance(err, RuntimeError) and "interrupted" not in str(err).lower():
            raise
        raise KeyboardInterrupt from None
    except duckdb.Error as err:
        if isinstance(err, duckdb.IOException) or "No space left" in str(err):
            raise translate(err, "the database") from err
        raise InputError(f"{log.name}: {staging.first_line(err)}") from err
    finally:
        queries.execute(con, "ingest/cleanup")
    return result


def _earlier(con, digest: dict) -> list[dict]:
    """What the database holds of a file with this content (raising what the fingerprint thread met)."""
    if isinstance(digest.get("error"), Exception):
        raise digest["error"]
    return queries.run(con, "ingest/loaded_file", sha256=digest["sha256"]).to_dicts()


def _loaded(earlier: list[dict]) -> bool:
    """Loaded before (a file rejected whole is read again)."""
    return bool(earlier) and earlier[0]["status"] == "loaded"


def _real_repeats(con, log: LogFile, result: FileResult, counts: dict) -> bool:
    """`--dedup auto`: are this file's identical records real repeats rather than a shipper's redeliveries?
    Always in a text log (the program's own output: nothing redelivers a line into it). In JSON, CSV or Parquet
    records only where timestamps are written to the second (sub-second ones make equal records the same event)
    and repeats are far above any redelivery rate: 5% of a file of 1,000 or more records. See docs/log-format.md."""
    if log.format in ("text", "logfmt"):
        return True
    repeats = queries.run(con, "ingest/repeats").item()
    if repeats == 0:
        return True  # nothing to tell apart: skip the duplicate pass
    result.sub_second = queries.run(con, "ingest/sub_second", **result.plan.params()).item()
    if result.sub_second or counts["valid"] < REPEATS_MIN_RECORDS:
        return False
    return repeats >= REPEATS_SHARE * counts["valid"]


def _fill(result: FileResult, con, counts: dict, header_line: int) -> None:
    if result.format == "otlp":  # one line holds many records: count blank lines themselves
        result.blank = queries.run(con, "ingest/blank_lines", after=header_line).item()
    else:  # every other line is a record, part of one (continued), or blank
        records = queries.run(con, "ingest/record_count").item()
        result.blank = result.lines_read - records - result.continued
    result.rejected = counts["rejected"]
    result.min_ts, result.max_ts = counts["min_ts"], counts["max_ts"]
    if counts["valid"] == 0 and counts["rejected"] > 0:
        result.status = "rejected"
    levels = [
        reason.removeprefix("unknown level: ")
        for reason, _ in result.top_reasons
        if reason.startswith("unknown level: ")
    ]
    if levels and not result.hint:
        pairs = " ".join(f"--level-map '{level}=info'" for level in levels[:2])
        result.hint = f"levels outside the known vocabularies ({', '.join(levels)}): try {pairs} or --set level=unknown"
    if result.continued:
        result.notes.append(f"{result.continued:,} line(s) joined to the record above them (multi-line records)")


def _file_record(result: FileResult, log: LogFile, sha256: str, file_id: int, options: Options) -> dict:
    return {
        "file_id": file_id,
        "path": log.name,
        "sha256": sha256,
        "kind": result.kind,
        "format": log.format,
        "bytes": log.bytes,
        "lines_read": result.lines_read,
        "blank": result.blank,
        "loaded": result.loaded,
        "rejected": result.rejected,
        "duplicates": result.duplicates,
        "min_ts": result.min_ts,
        "max_ts": result.max_ts,
        "tz": options.tz,
        "clock_offset_s": options.clock_offset_s,
        "seconds": result.seconds,
        "continued": result.continued,
        "status": result.status,
        "options": options.recorded(),
    }


class _progress:
    """Reports DuckDB's progress on the statement running (query_progress, polled from a thread) as bytes."""

    def __init__(self, con, log: LogFile, on_progress: Progress | None):
        self.con, self.log, self.on_progress = con, log, on_progress
        self.stop = threading.Event()

    def __enter__(self):
        if self.on_progress:
            self.on_progress(self.log.path, 0, self.log.bytes)
            self.thread = threading.Thread(target=self._poll, daemon=True)
            self.thread.start()
        return self

    def _poll(self):
        while not self.stop.wait(0.2):
            try:
                done = self.con.query_progress()
            except duckdb.Error:
                continue
            if done and done > 0:
                self.on_progress(self.log.path, int(self.log.bytes * min(done, 100) / 100), self.log.bytes)

    def __exit__(self, *exc):
        self.stop.set()
        if self.on_progress:
            self.thread.join()
            self.on_progress(self.log.path, self.log.bytes, self.log.bytes)
        return False


__all__ = ["FileResult", "IngestSummary", "Options", "PostmortemError", "ingest", "ingest_into", "plan"]
