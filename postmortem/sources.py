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
import io
import json
import os
import re
import select
import shutil
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import zstandard
from isal import igzip, isal_zlib

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
# The longest line kept (docs/log-format.md). A longer one is a reject holding its line number, its length and its
# first KEPT_BYTES: a log line is never this long, a runaway or hostile one (a gzip bomb's single line) may be.
LINE_LIMIT = 64 << 20
KEPT_BYTES = 1024
# Deflate's largest expansion: a length/distance pair takes at least two bits and gives at most 258 bytes, so a
# byte gives at most 1,032 (the zlib FAQ). A gzip file of at most LINE_LIMIT / 1,032 bytes (65,027) cannot hold
# a line longer than LINE_LIMIT.
DEFLATE_MAX_RATIO = 1032
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
READ_ERRORS = (OSError, EOFError, zlib.error, isal_zlib.error, zstandard.ZstdError)


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
    """The file's bytes as written, decompressed (every frame of a multi-frame zstd file, every member of a
    gzip file). gzip by ISA-L: it inflates in a third of the CPU time zlib takes (0.19 s against 0.64 s for a
    38 MB log of 321 MB)."""
    if compression == "gzip":
        return igzip.IGzipFile(fileobj=raw, mode="rb")
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

    if any(line.startswith(("#fields\t", "#Fields:")) for line in sample):
        return "directive"  # Zeek TSV, W3C extended (IIS): columns named by directive lines
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
    except (ValueError, RecursionError):  # nested thousands deep: Python's parser gives up, DuckDB's does not
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
    for value in head_records(log, 50):
        for key, inner in value.items():
            names[key] = None
            if isinstance(inner, dict):
                names.update((f"{key}.{k}", None) for k in inner)
    return list(names)


def head_records(log: LogFile, limit: int) -> list[dict]:
    """A JSON-lines, CSV or directive-columned file's first records as dicts (for telling its profile)."""
    lines = head_lines(head(log.path, log.compression), limit=limit + 1)
    if formats.get(log.format).route == "csv":
        return list(csv.DictReader(lines, delimiter=log.delimiter))[:limit]
    if formats.get(log.format).directives:
        return directive_records(lines)[:limit]
    records = []
    for line in lines[:limit]:
        try:
            value = json.loads(line)
        except (ValueError, RecursionError):  # broken, or nested thousands deep
            continue
        if isinstance(value, dict):
            records.append(value)
    return records


def directive_records(lines: list[str]) -> list[dict]:
    """Lines under Zeek `#fields` / W3C `#Fields:` directives as records, as json_lines_directive.sql reads them
    (a repeated directive switches the columns; `-` is no value; a W3C `#Date:` gives rows without a date one; a
    row holding a tab is split at tabs)."""
    columns: list[str] | None = None
    separator, date = "\t", None
    records = []
    for line in lines:
        if line.startswith("#fields\t"):
            columns, separator = line[8:].split("\t"), "\t"
        elif line.startswith("#Fields:"):
            columns, separator = line[8:].strip().split(" "), " "
        elif line.startswith("#Date:"):
            date = line[6:].strip().split(" ")[0]
        elif columns and not line.startswith("#"):
            row = line.rstrip("\r")
            # W3C rows are space-separated (IIS) or, under the same space-separated #Fields, tab-separated (CloudFront)
            values = [None if v == "-" else v for v in row.split("\t" if "\t" in row else separator)]
            if len(values) == len(columns):
                record = dict(zip(columns, values, strict=True))
                if date and "date" not in record:
                    record["date"] = date
                records.append(record)
    return records


def zstd_is_whole(path: Path, tail: LongestLine | None = None) -> bool:
    """Whether a .zst file ends where its last frame ends. DuckDB (like most readers) returns what a truncated
    stream holds without a word, so this is checked beside its read: frame by frame, to the last byte. `tail`
    is fed the decompressed bytes."""
    with open(path, "rb") as raw:
        dobj = zstandard.ZstdDecompressor().decompressobj()
        pending = b""
        while chunk := raw.read(4 << 20):
            data = pending + chunk
            pending = b""
            while data:
                out = dobj.decompress(data)
                if tail is not None:
                    tail.feed(out)
                if not dobj.eof:
                    break
                data = dobj.unused_data  # the next frame, if any
                dobj = zstandard.ZstdDecompressor().decompressobj()
                if not data:
                    return _at_end(raw)
        return False


def _at_end(raw) -> bool:
    return raw.read(1) == b""


class LongestLine:
    """The longest line of a stream fed block by block, as far as it matters: exact for a line longer than a
    block (the only ones that can exceed LINE_LIMIT), a lower bound for shorter ones. Only the first and last
    line end of each block are looked for, so this costs next to nothing beside the decompression."""

    def __init__(self) -> None:
        self.run = 0  # bytes since the last line end
        self.longest = 0

    def feed(self, block: bytes) -> None:
        first = _first_end(block)
        if first < 0:
            self.run += len(block)
            return
        self.longest = max(self.longest, self.run + first)
        self.run = len(block) - max(block.rfind(b"\n"), block.rfind(b"\r")) - 1

    @property
    def length(self) -> int:
        return max(self.longest, self.run)


def long_line(log: LogFile) -> bool:
    """Whether a text file has a line over LINE_LIMIT where DuckDB's line reader would lose it without a word: it
    drops a last line longer than its buffer (128 MiB) and returns the lines before. Checked beside DuckDB's
    read: a plain file's last line is read backwards from its end (as far as the line goes); a gzip file is
    inflated, unless it is too small to hold such a line (a gzip file read alone is checked as DuckDB reads it,
    see Feed; zstd: see zstd_is_whole, which decompresses it anyway)."""
    with open(log.path, "rb") as raw:
        if log.compression == "gzip":
            if log.bytes * DEFLATE_MAX_RATIO <= LINE_LIMIT:
                return False
            tail = LongestLine()
            stream = _decompressed(raw, "gzip")
            while block := stream.read(4 << 20):
                tail.feed(block)
            return tail.length > LINE_LIMIT
        end, length = raw.seek(0, os.SEEK_END), 0
        while end > 0 and length <= LINE_LIMIT:
            start = max(0, end - (1 << 20))
            raw.seek(start)
            block = raw.read(end - start)
            if length == 0:  # line ends (and blank lines) at the very end close the last line
                block = block.rstrip(b"\r\n")
            cut = max(block.rfind(b"\n"), block.rfind(b"\r"))
            if cut >= 0:
                return length + len(block) - cut - 1 > LINE_LIMIT
            length += len(block)
            end = start
        return length > LINE_LIMIT


class Feed:
    """A gzip file inflated here, once, and handed to DuckDB's line reader through a named pipe, with its longest
    line measured on the way (see long_line: DuckDB would drop a last line over its buffer without a word).
    Checking beside DuckDB's own inflation cost a second one: +0.64 s CPU on a 38 MB log (+13% of its ingest);
    through the pipe, ISA-L's inflation replaces DuckDB's and costs less than it. DuckDB opens the pipe once for
    each statement that reads the file (the sampling one stops early): each open gets the whole stream again.

    Use as a context manager; `path` is what DuckDB reads (uncompressed), `error` what inflating met (DuckDB
    then saw the stream end early: its lines must not be kept), `longest` the longest line of a stream read to
    its end (None before one was)."""

    def __init__(self, log: LogFile, on_read: Callable[[int], None] | None = None) -> None:
        self.log, self.on_read = log, on_read
        self.error: Exception | None = None
        self.longest: int | None = None
        self._folder = Path(tempfile.mkdtemp(prefix="postmortem-feed-"))
        self.path = self._folder / "lines"
        os.mkfifo(self.path, 0o600)
        self._closing = False
        self._thread = threading.Thread(target=self._serve, name="gzip feed", daemon=True)

    def __enter__(self) -> Feed:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._closing = True
        # a feeder waiting for a reader to open the pipe is woken by one that opens and closes it at once
        wake = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self._thread.join()
        os.close(wake)
        shutil.rmtree(self._folder, ignore_errors=True)

    @property
    def long_line(self) -> bool:
        """Whether the file has a line over LINE_LIMIT; True (so Python splits it, exactly) where no stream was
        read to its end."""
        return self.longest is None or self.longest > LINE_LIMIT

    def _serve(self) -> None:
        while not self._closing:
            out = os.open(self.path, os.O_WRONLY)  # waits for a reader
            try:
                # A new pipe for the next reader at once: one that opened this one while it still has a writer
                # (a statement after one that stopped early) would read the rest of this stream. Renamed into
                # place, so the path always names a pipe.
                os.mkfifo(self._folder / "next", 0o600)
                os.replace(self._folder / "next", self.path)
                if not self._closing:
                    self._stream(out)
            except Exception as err:  # the feeder must outlive any error: a reader may be waiting on the pipe
                self.error = err
            finally:
                os.close(out)

    def _stream(self, out: int) -> None:
        os.set_blocking(out, False)  # so a reader that stops reading never holds the feeder past __exit__
        tail = LongestLine()
        try:
            with open(self.log.path, "rb") as raw:
                stream = _decompressed(raw, "gzip")
                while block := stream.read(1 << 20):
                    tail.feed(block)
                    if self.on_read:
                        self.on_read(raw.tell())
                    if not self._write(out, memoryview(block)):
                        return
        except READ_ERRORS as err:
            self.error = err
            return
        self.longest = max(self.longest or 0, tail.length)

    def _write(self, out: int, data: memoryview) -> bool:
        """False where the reader went (a statement that reads only the first lines) or the feed is closing."""
        while data:
            if self._closing:
                return False
            select.select([], [out], [], 0.2)
            try:
                data = data[os.write(out, data) :]
            except BlockingIOError:
                continue
            except BrokenPipeError:
                return False
        return True


@contextmanager
def fed(log: LogFile, on_read: Callable[[int], None] | None = None) -> Iterator[Feed | None]:
    """A Feed for a gzip file (`on_read`: told the compressed bytes read so far), None (DuckDB reads the file
    itself) for any other."""
    if log.compression != "gzip":
        yield None
        return
    with Feed(log, on_read) as feed:
        yield feed


def fallback_batches(
    log: LogFile, batch_bytes: int = FALLBACK_BATCH_BYTES, line_limit: int = LINE_LIMIT
) -> Iterator[pl.DataFrame]:
    """Physical lines split here, for files DuckDB's strict line reader refuses: LF, CRLF and lone CR each end a
    line (as editors count them); bytes that are not UTF-8 keep their text escaped and a reject reason. A line
    longer than `line_limit` is read past, never held: a reject with its length and first bytes."""
    with open(log.path, "rb") as raw:
        yield from _line_batches(_decompressed(raw, log.compression), batch_bytes, line_limit)


def _line_batches(stream: io.BufferedIOBase, batch_bytes: int, line_limit: int) -> Iterator[pl.DataFrame]:
    carry = b""  # the start of a line whose end is not read yet (at most line_limit bytes)
    long: tuple[bytes, int] | None = None  # (first bytes, length so far) of a line over the limit
    skip_lf, first, eof = False, True, False
    while not eof:
        block = stream.read(batch_bytes)
        eof = not block
        if first:
            block, first = block.removeprefix(b"\xef\xbb\xbf"), False
        if skip_lf and block:  # the CR that ended a long line was the last byte read: an LF after it ends it too
            block, skip_lf = block.removeprefix(b"\n"), False
        if long is not None:
            end = _first_end(block)
            piece = block if end < 0 else block[:end]
            long = (long[0] + piece[: KEPT_BYTES - len(long[0])], long[1] + len(piece))
            if end < 0 and not eof:
                continue
            yield _too_long(*long, line_limit)
            long = None
            if eof:
                break
            stop = end + (2 if block[end : end + 2] == b"\r\n" else 1)
            skip_lf = block[end:stop] == b"\r" and stop == len(block)
            block = block[stop:]
        data = carry + block
        # a CR that is the last byte read may be the first half of a CRLF: its line ends with the next read
        until = len(data) - 1 if not eof and data.endswith(b"\r") else len(data)
        cut = len(data) - 1 if eof else max(data.rfind(b"\n", 0, until), data.rfind(b"\r", 0, until))
        if cut >= 0:
            yield _split(data[: cut + 1], line_limit)
        carry = data[cut + 1 :]
        partial = len(carry) - (1 if carry.endswith(b"\r") else 0)
        if partial > line_limit:
            long, carry = (carry[:KEPT_BYTES], partial), b""
            if partial < len(data) - cut - 1:  # the CR ending it is read: the line is complete
                yield _too_long(*long, line_limit)
                long, skip_lf = None, True


def _first_end(block: bytes) -> int:
    ends = [i for i in (block.find(b"\n"), block.find(b"\r")) if i >= 0]
    return min(ends) if ends else -1


def _too_long(head_bytes: bytes, length: int, line_limit: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "raw": [head_bytes.decode("utf-8", errors="backslashreplace")],
            "pre_reason": [
                f"line of {length:,} bytes, longer than the {_size(line_limit)} a line may have"
                f" (its first {min(length, KEPT_BYTES):,} bytes kept)"
            ],
        },
        schema=SCHEMA,
    )


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n % (1 << 20) == 0 else f"{n:,} bytes"


def _split(chunk: bytes, line_limit: int = LINE_LIMIT) -> pl.DataFrame:
    parts = re.split(rb"\r\n|\n|\r", chunk)
    if chunk.endswith((b"\n", b"\r")):
        parts = parts[:-1]  # the terminator of the last line, not an empty line after it
    texts, reasons = [], []
    for part in parts:
        if len(part) > line_limit:
            long = _too_long(part[:KEPT_BYTES], len(part), line_limit)
            texts.append(long["raw"][0])
            reasons.append(long["pre_reason"][0])
            continue
        try:
            texts.append(part.decode("utf-8"))
            reasons.append(None)
        except UnicodeDecodeError:
            texts.append(part.decode("utf-8", errors="backslashreplace"))
            reasons.append("not valid UTF-8")
    return pl.DataFrame({"raw": texts, "pre_reason": reasons}, schema=SCHEMA)
