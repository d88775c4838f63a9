"""Reading a metrics export into `metric_points`: Prometheus HTTP API JSON (`query_range` matrix, `query`
vector), the Prometheus and OpenMetrics text formats with timestamps, OTLP metrics JSON (gauge, sum, histogram)
and a Grafana panel's CSV export (series as rows or as columns).

What a file is, is told from its first bytes (`recognise`); DuckDB reads it (`queries/metrics/stage_*.sql`) into
one staged row per point, `checked.sql` gives each its reject reason or none, and the valid points are appended in
one transaction with the file's bookkeeping and rejects, as ingest does for logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from postmortem import formats, kinds, queries, sources, staging
from postmortem.errors import InputError
from postmortem.plans import Options

FORMATS = formats.of_kind("metric")
# The text format's sample line: name{labels} value [timestamp]
_SAMPLE = re.compile(
    r"^\s*[a-zA-Z_:][a-zA-Z0-9_:.]*\s*(\{.*\})?\s+[+-]?(\d|\.\d|NaN|Inf|nan|inf)\S*(\s+-?\d+(\.\d+)?)?\s*$"
)
_NUMBER = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?|[+-]?Inf")
_METADATA = re.compile(r"^#\s*(HELP|TYPE|UNIT|EOF)\b")
STAGE_QUERY = {
    "prometheus-json": "metrics/stage_prometheus_json",
    "prometheus-text": "metrics/stage_prometheus_text",
    "otlp-metrics": "metrics/stage_otlp_metrics",
    "grafana-rows": "metrics/stage_grafana_rows",
    "grafana-columns": "metrics/stage_grafana_columns",
}


@dataclass
class Loaded:
    """What one metrics file gave: counts as ingest records them for any file."""

    lines_read: int
    blank: int
    loaded: int
    rejected: int
    duplicates: int
    min_ts: object
    max_ts: object
    top_reasons: list[tuple[str, int]]


def recognise(path: Path) -> str | None:
    """The export format by content (the first 64 KiB), or None when the file is not a metrics export."""
    return sniff(sources.head(path, sources.compression_of(path)))


def sniff(head: bytes) -> str | None:
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    start = text.lstrip()[:1]
    if start == "{":
        return _sniff_json(text)
    lines = [line for line in text.splitlines() if line.strip()][:200]
    if not lines:
        return None
    header = _csv_header(lines[0])
    if header and {"series", "time", "value"} <= set(header):
        return "grafana-rows"
    if header and header[0] == "time" and _numeric_columns(lines[1:21], lines[0]):
        return "grafana-columns"
    samples = [line for line in lines if not line.lstrip().startswith("#")]
    metadata = sum(1 for line in lines if _METADATA.match(line.lstrip()))
    matching = sum(1 for line in samples if _SAMPLE.match(line))
    if samples and matching >= 0.9 * len(samples) and (metadata or matching == len(samples)):
        return "prometheus-text"
    return None


def _sniff_json(text: str) -> str | None:
    # the head may end inside the document: look at its keys rather than parse it
    if re.search(r'"resourceMetrics"\s*:', text):
        return "otlp-metrics"
    if re.search(r'"resultType"\s*:\s*"(matrix|vector)"', text) and re.search(r'"data"\s*:', text):
        return "prometheus-json"
    return None


def _delimiter(header: str) -> str:
    return max((";", ",", "\t"), key=header.count)


def _csv_header(line: str) -> list[str] | None:
    """A CSV header's cells, lower-cased, if the first line could be a Grafana export's."""
    cells = [c.strip().strip('"').strip().lower() for c in line.split(_delimiter(line))]
    return cells if len(cells) >= 2 and cells[0] in ("time", "series") else None


def _numeric_columns(rows: list[str], header: str) -> bool:
    """Series as columns: every cell after the time is a number or a gap (a log with a `time` column is not)."""
    delimiter = _delimiter(header)
    cells = [c.strip().strip('"') for row in rows for c in row.split(delimiter)[1:]]
    return bool(rows) and all(_NUMBER.fullmatch(c) or c.lower() in ("", "null", "nan") for c in cells)


def refuse(path: Path) -> InputError:
    return InputError(
        f"{path}: --kind metric, but this is not a metrics export postmortem reads (Prometheus query or"
        " query_range JSON, Prometheus/OpenMetrics text with timestamps, OTLP metrics JSON, or a Grafana CSV"
        " export with a Time column)"
    )


def stage(con, log: sources.LogFile, *, tz: str, clock_offset_s: float) -> Loaded:
    """Read one export into the temporary `metric_checked` table (a row per point, with its reject reason or
    none) and count it; nothing is appended yet (see `append`)."""
    queries.execute_script(con, "metrics/macros")
    queries.execute(con, "metrics/staged_table")
    params = {
        "path": str(log.path),
        "compression": log.duckdb_compression,
        "max_bytes": max(16 << 20, 2 * log.bytes + 1),  # one document may be the whole file
        "default_name": log.path.name.split(".")[0],
        "line_delimiter": staging.LINE_DELIMITER,
        "tz": tz,
    }
    queries.execute(con, STAGE_QUERY[log.format], **params)
    queries.execute(con, "metrics/checked", clock_offset_s=clock_offset_s)
    counts = queries.run(con, "metrics/counts").row(0, named=True)
    if counts["rejected"] and log.format == "prometheus-text":
        queries.execute(con, "metrics/reject_lines", **params)
    points = counts["valid"] + counts["rejected"]
    lines = queries.run(con, "metrics/lines", **params).item() if log.format == "prometheus-text" else points
    return Loaded(
        lines_read=lines,
        blank=lines - points,
        loaded=counts["valid"],
        rejected=counts["rejected"],
        duplicates=0,
        min_ts=counts["min_ts"],
        max_ts=counts["max_ts"],
        top_reasons=[tuple(r) for r in queries.run(con, "metrics/reasons").rows()],
    )


def append(con, loaded: Loaded, file_id: int) -> None:
    """Append the staged points and rejects under `file_id` (inside the caller's transaction)."""
    inserted = queries.execute(con, "metrics/insert_points", file_id=file_id) or 0
    loaded.duplicates, loaded.loaded = loaded.loaded - inserted, inserted
    queries.execute(con, "metrics/insert_rejects", file_id=file_id)


def cleanup(con) -> None:
    queries.execute(con, "metrics/cleanup")


def recognise_file(path: Path) -> sources.LogFile | None:
    fmt = recognise(path)
    return sources.LogFile(path, fmt, sources.compression_of(path)) if fmt else None


def stage_file(con, log: sources.LogFile, options: Options) -> Loaded:
    return stage(con, log, tz=options.tz, clock_offset_s=options.clock_offset_s)


KIND = kinds.register(
    kinds.Kind(
        "metric",
        "metrics exports (Prometheus JSON or text, OTLP metrics JSON, Grafana CSV)",
        recognise=recognise_file,
        refuse=refuse,
        stage=stage_file,
        append=append,
        cleanup=cleanup,
        lake=False,
        noun="a metrics export",
    )
)
