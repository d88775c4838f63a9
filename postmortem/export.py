"""Serialising results for other tools (CSV and JSON rows, the JSON summary, Timesketch JSONL) and the one
writer every output goes through: a temporary file beside the target, renamed into place, so a full disk or
a crash never leaves half a report where the old one was."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import polars as pl

from postmortem.errors import InputError
from postmortem.human_times import iso
from postmortem.summary import to_json_ready


def dumps(value) -> str:
    """Strict JSON: times as ISO-8601 UTC, NaN and infinities as null (JSON has neither)."""
    return json.dumps(to_json_ready(value), indent=2, default=str, allow_nan=False) + "\n"


# A spreadsheet runs a cell starting with one of these as a formula (`=HYPERLINK(...)`, `+cmd|' /C calc'!A0`):
# OWASP's CSV-injection rule puts a ' in front of such a text cell, which spreadsheets show as text.
FORMULA_START = r"^[=+\-@\t\r]"


def frame_text(frame: pl.DataFrame, fmt: str, *, raw: bool = False) -> str:
    """A query result as CSV or JSON (an array of objects, times as ISO-8601 UTC). CSV has no nested
    values: lists are joined with `;`, structs written as JSON text; a text cell that a spreadsheet would run
    as a formula gets a leading `'` unless `raw` (log text is attacker-controlled, and SREs open CSV in one)."""
    if fmt == "csv":
        flat = frame.with_columns(
            [
                pl.col(name).map_elements(
                    lambda v: ";".join("" if x is None else str(x) for x in v), return_dtype=pl.String
                )
                for name, dtype in frame.schema.items()
                if isinstance(dtype, pl.List | pl.Array)
            ]
            + [
                pl.col(name).map_elements(lambda v: json.dumps(to_json_ready(v)), return_dtype=pl.String)
                for name, dtype in frame.schema.items()
                if isinstance(dtype, pl.Struct)
            ]
        )
        if not raw:
            flat = flat.with_columns(
                pl.when(pl.col(name).str.contains(FORMULA_START))
                .then("'" + pl.col(name))
                .otherwise(pl.col(name))
                .alias(name)
                for name, dtype in flat.schema.items()
                if dtype == pl.String
            )
        return flat.with_columns(pl.col(pl.Datetime).map_elements(iso, return_dtype=pl.String)).write_csv()
    return dumps(frame.to_dicts())


# The JSON summary's version (docs/summary.schema.json): raised when a field is removed or changes meaning or
# type; a new field leaves it as it is.
SUMMARY_SCHEMA_VERSION = 1


def summary_json(summary: dict) -> str:
    """The facts as the JSON summary: `schema_version` first, the report's evidence rows left out."""
    return dumps({"schema_version": SUMMARY_SCHEMA_VERSION, **{k: v for k, v in summary.items() if k != "evidence"}})


def timesketch_lines(events: list[dict]) -> str:
    """One JSON object per event with Timesketch's required `message`, `datetime`, `timestamp_desc`."""
    lines = []
    for e in events:
        ts: datetime = e["ts"]
        record = {
            "message": " ".join(str(x) for x in (e["kind"], e["actor"], e["detail"]) if x),
            "datetime": iso(ts),
            "timestamp": int(ts.timestamp() * 1_000_000),
            "timestamp_desc": e["kind"],
            "space_id": e["space_id"],
            "actor": e["actor"],
            "detail": e["detail"] if not e.get("until") else f"until {iso(e['until'])}",
            "data_type": "postmortem:event",
        }
        lines.append(json.dumps(record, allow_nan=False))
    return "".join(line + "\n" for line in lines)


def write_text(text: str, output: str | Path) -> None:
    """Write `text` to `output` atomically (`-` is standard output)."""
    if str(output) == "-":
        if sys.stdout.isatty():  # a person's terminal: controls in log or notes text shown escaped, not obeyed
            from postmortem.terminal import visible  # only here: the terminal module loads rich and ingest

            text = visible(text, keep="\t\n")
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    write_bytes(text.encode("utf-8"), Path(output))


def write_bytes(data: bytes, target: Path) -> None:
    """All or nothing: the bytes go to a temporary file in the target's folder, are flushed to disk, and the
    file is renamed over the target. On failure the temporary file is removed and the target is untouched."""
    folder = target.parent if str(target.parent) else Path(".")
    partial = None
    try:
        fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp's 0600 would make the report private to its writer
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
        partial = None
    except OSError as err:
        raise InputError(f"cannot write {target}: {err.strerror or err}") from None
    finally:
        if partial is not None:
            try:
                os.unlink(partial)
            except OSError:
                pass


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
