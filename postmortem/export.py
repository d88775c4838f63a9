"""Writing results for other tools: CSV/JSON rows, the JSON summary, and Timesketch's JSONL import format."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import polars as pl

from postmortem.errors import InputError
from postmortem.summary import iso, to_json_ready


def frame_text(frame: pl.DataFrame, fmt: str) -> str:
    """A query result as CSV or JSON (an array of objects, times as ISO-8601 UTC)."""
    if fmt == "csv":
        return frame.with_columns(
            pl.col(pl.Datetime).map_elements(iso, return_dtype=pl.String),
            pl.col(pl.List(pl.String)).list.join(";"),
        ).write_csv()
    return json.dumps(to_json_ready(frame.to_dicts()), indent=2, default=str) + "\n"


def summary_json(summary: dict) -> str:
    return json.dumps(to_json_ready(summary), indent=2, sort_keys=False, default=str) + "\n"


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
            "detail": e["detail"],
            "data_type": "postmortem:event",
        }
        lines.append(json.dumps(record))
    return "".join(line + "\n" for line in lines)


def write_text(text: str, output: str | Path) -> None:
    """`-` is standard output."""
    if str(output) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot write {output}: {err.strerror or err}") from None
