"""The choices and defaults the command line offers and the library takes: output formats, engines, database
settings and the incident-detection thresholds. This module imports nothing heavy, so the CLI declares its
options from it without loading DuckDB, polars or altair: `postmortem --help` starts in well under 0.3 s."""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass

DEFAULT_DB = "postmortem.duckdb"
DEFAULT_THREADS = min(4, os.cpu_count() or 1)
DEFAULT_MEMORY_LIMIT = "1GB"


class ReportFormat(enum.StrEnum):
    html = "html"
    md = "md"
    json = "json"


class TimelineFormat(enum.StrEnum):
    table = "table"
    json = "json"
    timesketch = "timesketch"


class TableFormat(enum.StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class EngineName(enum.StrEnum):
    duckdb = "duckdb"
    spark = "spark"


@dataclass(frozen=True)
class Detection:
    """Tunable definitions (see docs/definitions.md)."""

    factor: float = 5.0  # a degraded minute's glitch share is at least this many times the baseline...
    floor_share: float = 0.05  # ...and at least this share of present users...
    min_reporters: int = 5  # ...reported by at least this many users
    baseline_minutes: int = 10  # baseline: median share over the room's first minutes
    sustain_minutes: int = 2  # consecutive minutes that make a degradation (and a recovery) sustained
    window_minutes: int = 60  # a replacement room starts no later than this after the failed room ended
    lead_minutes: int = 10  # errors up to this long before degradation count as detecting it
