"""The choices and defaults the command line offers and the library takes: output formats, engines, database
settings, the incident-detection thresholds and where the SQL files are. This module imports nothing heavy, so
the CLI declares its options from it without loading DuckDB, polars or altair: `--help` starts in under 0.3 s."""

from __future__ import annotations

import enum
import os
import re
from dataclasses import dataclass
from pathlib import Path

_PACKAGED = Path(__file__).parent / "queries"  # where the wheel puts them (hatch force-include)
_REPO = Path(__file__).parent.parent / "queries"  # an editable install reads the repo folder
QUERY_DIR = _PACKAGED if _PACKAGED.is_dir() else _REPO

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


class WebrtcFailure(enum.StrEnum):
    """What `simulate --webrtc` plants in the dumps: a speaker's mic feedback loop, or an edge that fails."""

    speaker = "speaker"
    edge = "edge"


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


def schema_names() -> dict[str, list[str]]:
    """The tables and views a database offers to `postmortem sql`, read from the schema files that create them
    (so its help lists what exists, not a copy that drifts), and the incident's variables."""
    schema = QUERY_DIR / "schema"

    def created(kind: str, *files: str) -> list[str]:
        pattern = re.compile(rf"create\s+(?:or\s+replace\s+)?(?:temp\s+)?{kind}\s+(?:if\s+not\s+exists\s+)?(\w+)", re.I)
        names = [m for f in files for m in pattern.findall((schema / f).read_text(encoding="utf-8"))]
        return [n for n in dict.fromkeys(names) if n != "meta"]  # meta: the schema's own bookkeeping

    variables = re.findall(r"set variable (\w+)", (schema / "incident_variables.sql").read_text(encoding="utf-8"))
    return {
        "tables": created("table", "tables.sql"),
        "views": created("view", "views.sql", "metric_views.sql"),
        "variables": variables,
    }
