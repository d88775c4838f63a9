"""What a log file is, told by its name and first bytes, and its lines handed to DuckDB.

DuckDB reads, decompresses and splits every text file itself (`queries/ingest/lines_of_files.sql`): its CSV
reader with one column, no quoting and strict mode gives each physical line once, in file order, so a temporary
table's rowid is the line number. Strict mode refuses what it cannot split exactly (a line ending in a lone CR
among LF lines, mixed CRLF/LF, bytes that are not UTF-8); such files are split here instead, a batch at a time,
with the same numbering, so the rare odd file costs speed, never a line.

Only the head of a file (64 KiB, decompressed) is read in Python, to tell its format.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import zstandard

from postmortem import formats
from postmortem.errors import InputError

FORMATS = formats.SNIFFED
NAMED_SUFFIXES = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".logfmt": "logfmt",
}
COMPRESSIONS = {".gz": "gzip", ".zst": "zstd"}
HEAD_BYTES = 64 << 10
FALLBACK_BATCH_BYTES = 32 << 20
SCHEMA = {"raw": pl.String, "pre_reason": pl.String}

_LOGFMT_PAIR = re.compile(r'(?:^|\s)[A-Za-z_@][\w.@/-]*=(?:"(?:[^"\\]|\\.)*"|[^\s"]*)')
_HEADER_CELL = re.compile(r"^[A-Za-z_@#][\w .@:/()#-]{0,63}$")


@dataclass(frozen=True)
class LogFile:
    path: Path
    format: str  # a name in formats.TABLE
    compression: str | None  # gzip | zstd | None
    delimiter: str = ","  # csv only

    @property
    def bytes(self) -> int:
        return self.path.stat().st_size

    @property
    def name(self) -> str:
        """The path as text that is always valid UTF-8: bytes of a file name that are not are shown escaped
        (`bad\\xff.log`), so the name can be recorded, printed and bound to SQL."""
        return os.fsencode(self.path).decode("utf-8", errors="backslashreplace")

    @property
    def name_is_utf8(self) -> bool:
        return self.name == str(self.path)

    @property
    def duckdb_compression(self) -> str:
        return {"gzip": "gzip", "zstd": "zstd"}.get(self.compression or "", "none")


# What reading a file, compressed or not, can fail with: a gzip or zstd stream that is corrupt or cut short too.
READ_ERRORS = (OSError, EOFError, zlib.error, zstandard.ZstdError)


def compression_of(path: Path) -> str | None:
    """By the name's suffix, else by the first bytes: a gzip or zstd header that starts a stream. Bytes that only
    begin like one (a binary line opening a text log) are read as they are; a real stream cut short further on
    still reads as compressed, and reading it says so."""
    suffix = path.suffix.lower()
    if suffix in COMPRESSIONS:
        return COMPRESSIONS[suffix]
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic[:2] == b"\x1f\x8b":
        sniffed = "gzip"
    elif magic == b"\x28\xb5\x2f\xfd":
        sniffed = "zstd"
    else:
        return None
    try:
        with open(path, "rb") as raw:
            _decompressed(raw, sniffed).read(1)
    except READ_ERRORS:
        return None
    return sniffed


def _decompressed(raw: io.BufferedIOBase, compression: str | None) -> io.BufferedIOBase:
    """The file's bytes as written, decompressed (every frame of a multi-frame zstd file)."""
    if compression == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if compression == "zstd":
        return zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
    return raw


def head(path: Path, compression: str | None, size: int = HEAD_BYTES) -> bytes:
    """The first `size` decompressed bytes (whole lines where the file is longer)."""
    try:
        with open(path, "rb") as raw:
            data = _decompressed(raw, compression).read(size)
    except READ_ERRORS as err:
        raise InputError(f"{path}: cannot read: {err}") from None
    if len(data) == size and b"\n" in data:
        data = data[: data.rfind(b"\n")]
    return data.removeprefix(b"\xef\xbb\xbf")


def head_lines(data: bytes, limit: int = 200) -> list[str]:
    """Non-blank lines of a head, decoded leniently (only for telling the format)."""
    text = data.decode("utf-8", errors="replace")
    lines = [line for line in re.split(r"\r\n|\n|\r", text) if line.strip()]
    return lines[:limit]


def recognise(path: Path, fmt: str | None = None) -> LogFile:
    """Format and compression by the given `fmt`, else the name (.jsonl, .csv, .parquet ...), else the content."""
    compression = compression_of(path)
    if fmt is None:
        suffixes = [s.lower() for s in path.suffixes]
        if suffixes and suffixes[-1] in COMPRESSIONS:
            suffixes = suffixes[:-1]
        fmt = NAMED_SUFFIXES.get(suffixes[-1]) if suffixes else None
    if fmt == "parquet" or (fmt is None and compression is None and _is_parquet(path)):
        return LogFile(path, "parquet", None)
    data = head(path, compression)
    lines = head_lines(data)
    if fmt is None:
        fmt = sniff_format(lines)
    delimiter = sniff_delimiter(lines[0]) if fmt == "csv" and lines else ","
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")
    return LogFile(path, fmt, compression, delimiter)


def _is_parquet(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == b"PAR1"


def sniff_format(lines: list[str]) -> str:
    """JSON lines, CSV with a header, logfmt, or other text: by what most of the first lines look like."""
    if not lines:
        return "jsonl"  # an empty file: nothing to tell, nothing to load
    sample = lines[:100]

    def share(test) -> float:
        return sum(1 for line in sample if test(line)) / len(sample)

    if share(_is_json_object) >= 0.8:
        return "jsonl"
    if _looks_like_csv(lines):
        return "csv"
    if share(lambda line: len(_LOGFMT_PAIR.findall(line)) >= 3 and "=" in line.split(" ", 1)[0]) >= 0.8:
        return "logfmt"
    return "text"


def _is_json_object(line: str) -> bool:
    stripped = line.strip()
    if not stripped.startswith("{"):
        return False
    try:
        return isinstance(json.loads(stripped), dict)
    except ValueError:
        return stripped.endswith("}")  # a long or broken JSON line still says "JSON lines"


def sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _looks_like_csv(lines: list[str]) -> bool:
    """A header of two or more name-like cells, and rows that mostly have as many fields."""
    delimiter = sniff_delimiter(lines[0])
    try:
        header = next(csv.reader([lines[0]], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return False
    if len(header) < 2 or not all(_HEADER_CELL.match(cell.strip()) for cell in header):
        return False
    if len(set(cell.strip().lower() for cell in header)) != len(header):
        return False
    rows = lines[1:50]
    if not rows:
        return True
    try:
        widths = [len(row) for row in csv.reader(rows, delimiter=delimiter)]
    except csv.Error:
        return False
    return sum(1 for w in widths if w == len(header)) >= 0.6 * len(widths)


def csv_header(log: LogFile) -> list[str]:
    lines = head_lines(head(log.path, log.compression), limit=1)
    if not lines:
        return []
    return [cell.strip() for cell in next(csv.reader(lines[:1], delimiter=log.delimiter))]


def head_fields(log: LogFile) -> list[str]:
    """Field names of a file's first records, for telling its profile and kind: a CSV's header, or the keys
    (and one level of nested keys, as `a.b`) of its first JSON objects."""
    traits = formats.get(log.format)
    if traits.route == "csv":
        return csv_header(log)
    if traits.read == "parquet":
        from postmortem import queries  # sources sits below queries; only this look-up needs it

        with duckdb.connect() as scratch:
            return queries.run(scratch, "ingest/parquet_fields", path=str(log.path))["field"].to_list()
    names: dict[str, None] = {}
    for line in head_lines(head(log.path, log.compression), limit=50):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            for key, inner in value.items():
                names[key] = None
                if isinstance(inner, dict):
                    names.update((f"{key}.{k}", None) for k in inner)
    return list(names)


def zstd_is_whole(path: Path) -> bool:
    """Whether a .zst file ends where its last frame ends. DuckDB (like most readers) returns what a truncated
    stream holds without a word, so this is checked beside its read: frame by frame, to the last byte."""
    with open(path, "rb") as raw:
        dobj = zstandard.ZstdDecompressor().decompressobj()
        pending = b""
        while chunk := raw.read(4 << 20):
            data = pending + chunk
            pending = b""
            while data:
                dobj.decompress(data)
                if not dobj.eof:
                    break
                data = dobj.unused_data  # the next frame, if any
                dobj = zstandard.ZstdDecompressor().decompressobj()
                if not data:
                    return _at_end(raw)
        return False


def _at_end(raw) -> bool:
    return raw.read(1) == b""


def fallback_batches(log: LogFile, batch_bytes: int = FALLBACK_BATCH_BYTES) -> Iterator[pl.DataFrame]:
    """Physical lines split here, for files DuckDB's strict line reader refuses: LF, CRLF and lone CR each end a
    line (as editors count them); bytes that are not UTF-8 keep their text escaped and a reject reason."""
    carry = b""
    first = True
    with open(log.path, "rb") as raw:
        stream = _decompressed(raw, log.compression)
        while True:
            block = stream.read(batch_bytes)
            data = carry + block
            if first:
                data = data.removeprefix(b"\xef\xbb\xbf")
                first = False
            if block:
                cut = max(data.rfind(b"\n"), data.rfind(b"\r"))
                if cut < 0 or (data[cut : cut + 1] == b"\r" and cut == len(data) - 1):
                    carry = data  # a CR at the very end may be the first half of a CRLF
                    continue
                chunk, carry = data[: cut + 1], data[cut + 1 :]
            elif data:
                chunk, carry = data, b""
            else:
                break
            yield _split(chunk)
            if not block:
                break


def _split(chunk: bytes) -> pl.DataFrame:
    parts = re.split(rb"\r\n|\n|\r", chunk)
    if chunk.endswith((b"\n", b"\r")):
        parts = parts[:-1]  # the terminator of the last line, not an empty line after it
    texts, reasons = [], []
    for part in parts:
        try:
            texts.append(part.decode("utf-8"))
            reasons.append(None)
        except UnicodeDecodeError:
            texts.append(part.decode("utf-8", errors="backslashreplace"))
            reasons.append("not valid UTF-8")
    return pl.DataFrame({"raw": texts, "pre_reason": reasons}, schema=SCHEMA)
