"""The types ingest, staging and the kinds' own readers share: how files are to be read (`Options`), one file
as planned (`FilePlan`) and what happened to it (`FileResult`). They live beside neither the orchestrator
(`postmortem.ingest`) nor the stager (`postmortem.staging`), so neither imports the other for them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from postmortem import mapping, profiles
from postmortem.sources import LogFile


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


@dataclass(frozen=True)
class FilePlan:
    """One file as it will be read: its format, the profile it matched (if any) and which log it is."""

    log: LogFile
    kind: str
    profile: profiles.Profile | None


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
