"""Reading log files as numbered lines, whatever their format and compression.

Every format becomes rows of `(line, raw, doc, pre_reason)` so one set of SQL checks validates all of
them: `raw` is the text as the user wrote it (kept for rejects), `doc` the JSON object to parse when it
differs from `raw` (a CSV row, a Parquet row), `pre_reason` a reject found while reading (bad UTF-8, a
CSV row with the wrong number of fields). Lines are split in Python rather than by DuckDB's CSV reader
because that reader miscounts CRLF line endings and silently truncates lines holding its delimiter.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import zstandard

TEXT_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}
COMPRESSIONS = {".gz": "gzip", ".zst": "zstd"}
# Batches of 32 MiB are big enough for DuckDB to spread one over its threads (16 MiB ran at about half the
# rows/s); 64 MiB was 10% faster again but took ingest's peak memory at full scale to 1.94 GiB.
BATCH_BYTES = 32 << 20
SCHEMA = {"line": pl.Int64, "raw": pl.String, "doc": pl.String, "pre_reason": pl.String}


def empty_batch() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


@dataclass(frozen=True)
class LogFile:
    path: Path
    format: str  # jsonl | csv | parquet
    compression: str | None  # gzip | zstd | None

    @property
    def bytes(self) -> int:
        return self.path.stat().st_size


def recognise(path: Path) -> LogFile | None:
    """The format of a file by its name, or None when it is not a log we read."""
    suffixes = [s.lower() for s in path.suffixes]
    compression = COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    if compression:
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last == ".parquet" and not compression:
        return LogFile(path, "parquet", None)
    if last in TEXT_SUFFIXES:
        return LogFile(path, TEXT_SUFFIXES[last], compression)
    return None


def open_binary(log: LogFile, raw: io.BufferedReader) -> io.BufferedIOBase:
    """The decompressed bytes of `raw` (the open file, whose position tells progress)."""
    if log.compression == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if log.compression == "zstd":
        return zstandard.ZstdDecompressor().stream_reader(raw)
    return raw


def _split(chunk: bytes) -> tuple[pl.Series, pl.Series]:
    """A chunk of whole lines as (text, reject reason) columns. The fast path validates UTF-8 and splits in
    polars; a chunk holding invalid UTF-8 is redone line by line, keeping bad lines' text with escapes."""
    try:
        texts = pl.Series([chunk], dtype=pl.Binary).cast(pl.String).str.split("\n").explode()
        return texts, pl.repeat(None, len(texts), dtype=pl.String, eager=True)
    except pl.exceptions.ComputeError:  # not UTF-8 somewhere in the chunk
        pass
    texts, reasons = [], []
    for part in chunk.split(b"\n"):
        try:
            texts.append(part.decode("utf-8"))
            reasons.append(None)
        except UnicodeDecodeError:
            texts.append(part.decode("utf-8", errors="backslashreplace"))
            reasons.append("not valid UTF-8")
    return pl.Series(texts, dtype=pl.String), pl.Series(reasons, dtype=pl.String)


def line_batches(log: LogFile, batch_bytes: int = BATCH_BYTES) -> Iterator[tuple[pl.DataFrame, int]]:
    """Numbered lines (1-based, blank ones included) in frames, with the file bytes read so far."""
    next_line = 1
    carry = b""
    with open(log.path, "rb") as raw:
        stream = open_binary(log, raw)
        first = True
        while True:
            block = stream.read(batch_bytes)
            data = carry + block
            if first:
                data = data.removeprefix(b"\xef\xbb\xbf")
                first = False
            if block:
                cut = data.rfind(b"\n")
                if cut < 0:
                    carry = data
                    continue
                chunk, carry = data[:cut], data[cut + 1 :]
            elif data:
                chunk, carry = data, b""
            else:
                break
            texts, reasons = _split(chunk)
            frame = pl.DataFrame(
                {
                    "line": pl.int_range(next_line, next_line + len(texts), eager=True),
                    "raw": texts.str.strip_suffix("\r"),
                    "doc": pl.repeat(None, len(texts), dtype=pl.String, eager=True),
                    "pre_reason": reasons,
                },
                schema=SCHEMA,
            )
            next_line += len(texts)
            yield frame, raw.tell()
            if not block:
                break


def csv_batches(log: LogFile, batch_bytes: int = BATCH_BYTES) -> Iterator[tuple[pl.DataFrame, int]]:
    """CSV records as JSON objects keyed by the header; a record spanning lines is numbered by its first.

    Empty cells are absent fields, so a missing required value is rejected like a missing JSON key.
    The header is not a data line: it is neither emitted nor counted.
    """
    position = 0
    record_lines: list[tuple[int, str]] = []

    def physical() -> Iterator[str]:
        nonlocal position
        for frame, done in line_batches(log, batch_bytes):
            position = done  # how far into the file the records yielded so far reach
            for number, text in frame.select("line", "raw").iter_rows():
                record_lines.append((number, text or ""))
                yield (text or "") + "\n"

    header: list[str] | None = None
    out: dict[str, list] = {name: [] for name in SCHEMA}
    for record in csv.reader(physical()):
        first = record_lines[0][0]
        raw_text = "\n".join(text for _, text in record_lines)
        record_lines.clear()
        if header is None and any(cell.strip() for cell in record):
            header = [cell.strip() for cell in record]
            continue
        doc = reason = None
        if not raw_text.strip():
            pass  # a blank line: counted as blank by the staging query
        elif len(record) != len(header or []):
            reason = f"CSV row has {len(record)} fields, the header has {len(header or [])}"
        else:
            doc = json.dumps({k: v for k, v in zip(header, record, strict=True) if v != ""})
        for name, value in zip(SCHEMA, (first, raw_text, doc, reason), strict=True):
            out[name].append(value)
        if len(out["line"]) >= 100_000:
            yield pl.DataFrame(out, schema=SCHEMA), position
            out = {name: [] for name in SCHEMA}
    yield pl.DataFrame(out, schema=SCHEMA), position


def prefetched(batches: Iterator, depth: int = 1) -> Iterator:
    """The same items, read ahead in a thread: decompressing and splitting the next batch (zlib and polars
    release the GIL) overlaps with DuckDB validating the current one."""
    done = object()
    ahead: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in batches:
                if stop.is_set():
                    return
                ahead.put(item)
            ahead.put(done)
        except BaseException as err:  # noqa: BLE001 - handed to the consumer, re-raised there
            ahead.put(err)

    worker = threading.Thread(target=produce, daemon=True)
    worker.start()
    try:
        while (item := ahead.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                ahead.get_nowait()
            except queue.Empty:
                worker.join(0.05)


def header_fields(log: LogFile) -> set[str]:
    """Field names of the first records, for telling which log a file is."""
    names: set[str] = set()
    batches = csv_batches(log, 1 << 20) if log.format == "csv" else line_batches(log, 1 << 20)
    frame, _ = next(batches, (pl.DataFrame(schema=SCHEMA), 0))
    for raw, doc in frame.head(50).select("raw", "doc").iter_rows():
        try:
            value = json.loads(doc or raw or "")
        except ValueError:
            continue
        if isinstance(value, dict):
            names.update(value)
    return names
