"""The input kinds, in one registry: which log or export a file is, how it is told, and who reads it.

Two families:
  staged kinds (join, error, glitch)   lines parsed by their format (`postmortem.formats`), mapped to our fields
      (`mapping.FIELDS[kind]`), checked by `queries/ingest/stage_<kind>.sql` and appended by
      `queries/ingest/insert_<kind>.sql`. Told by --kind, the file name, the profile, then `signature`.
  read kinds (webrtc, metric)   whole files read by the kind's own module into its own tables. Told by content
      first (`recognise`), before any log format is sniffed.

A read kind lives in its own module, which registers it when imported, and is listed here by that module's
name (`READ_KINDS`): the registry imports it the first time a read kind is asked for, so starting the CLI
(which imports this module) loads no reader. Its module says:

    KIND = kinds.register(kinds.Kind(
        "metric", "metrics exports (Prometheus, OTLP, Grafana)",
        recognise=recognise_file,       # Path -> LogFile | None (its format one of formats.of_kind("metric"))
        refuse=refuse,                  # Path -> InputError, when --kind names it but recognise says no
        stage=stage_file,               # (con, log, options) -> staged (its counts: loaded, rejected, min_ts...)
        append=append,                  # (con, staged, file_id): into its tables, inside ingest's transaction
        cleanup=cleanup,                # con: drop what stage left
        lake=False,                     # whether a lake can hold it
        noun="a metrics export",        # one file of it, in messages
    ))

with `stage`/`append`/`cleanup` where ingest is to keep the file's books (fingerprint, a file loaded before,
the `files` row, one transaction), or `load` instead, (con, batch: list[FilePlan], options) -> list[FileResult],
where the kind owns all of that itself (webrtc, which loads small dumps in batches). It adds its whole-file
formats to `formats.TABLE` with `route="whole", kind=...` (`batchable=True` if its `load` takes several small
files at once). The plan types it receives and returns are in `postmortem.plans`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from postmortem import mapping
from postmortem.errors import InputError


@dataclass(frozen=True)
class Kind:
    name: str
    description: str
    # staged kinds: the field sets that tell a log of this kind, each a set of aliases (case-insensitive)
    signature: tuple[frozenset[str], ...] = ()
    recognise: Callable | None = None  # read kinds: Path -> LogFile | None, by content
    refuse: Callable | None = None  # read kinds: Path -> InputError (--kind names it, the content does not)
    load: Callable | None = None  # read kinds keeping their own books: (con, batch, options) -> list[FileResult]
    stage: Callable | None = None  # read kinds ingest keeps the books of: (con, log, options) -> staged counts
    append: Callable | None = None  # (con, staged, file_id), inside ingest's transaction
    cleanup: Callable | None = None  # con -> None, after stage (whatever happened)
    lake: bool = True  # a lake holds its tables
    noun: str = "a log"  # one file of this kind, in messages ("a metrics export cannot go into a lake")

    @property
    def staged(self) -> bool:
        return self.recognise is None


REGISTRY: dict[str, Kind] = {}
# The read kinds, by the module that registers each (imported on first use: they import DuckDB and polars).
READ_KINDS = {"webrtc": "postmortem.webrtc", "metric": "postmortem.metrics.read"}


def register(kind: Kind) -> Kind:
    if kind.name in REGISTRY and REGISTRY[kind.name] != kind:
        raise ValueError(f"kind {kind.name!r} registered twice")
    REGISTRY[kind.name] = kind
    return kind


register(
    Kind(
        "join",
        "room events: joins and leaves of users in spaces",
        signature=(
            frozenset({"event"}),
            frozenset({"user_id", "user", "uid"}),
            frozenset({"space_id", "space", "room_id"}),
        ),
    )
)
register(
    Kind(
        "error",
        "service logs: a level and a message (any text, logfmt or OTLP log is one)",
        signature=(frozenset(mapping.ALIASES["level"]), frozenset(mapping.ALIASES["message"])),
    )
)
register(
    Kind(
        "glitch",
        "audio glitches reported by clients",
        signature=(frozenset({"glitch", "glitch_kind", "type"}), frozenset({"space_id", "space", "room_id"})),
    )
)
# The kind of a log with no fields to tell it by (text, logfmt, OTLP): a service log.
TEXT_KIND = "error"


def every() -> dict[str, Kind]:
    """Every kind: the staged ones, then the read kinds (their modules imported now), then any registered since."""
    for module in READ_KINDS.values():
        importlib.import_module(module)
    order = [*staged(), *READ_KINDS]
    return {name: REGISTRY[name] for name in [*order, *(n for n in REGISTRY if n not in order)]}


def names() -> tuple[str, ...]:
    return tuple(every())


def staged() -> tuple[str, ...]:
    """The kinds whose logs are staged line by line (what a profile may name)."""
    return tuple(name for name, kind in REGISTRY.items() if kind.staged)


def get(name: str) -> Kind:
    if name not in REGISTRY and name in READ_KINDS:
        importlib.import_module(READ_KINDS[name])
    if name not in REGISTRY:
        raise InputError(f"unknown kind {name!r}; use one of: {', '.join(names())}")
    return REGISTRY[name]


def by_signature(fields: list[str]) -> str | None:
    """The first staged kind whose every signature set meets the fields."""
    have = {f.lower() for f in fields}
    for name, kind in REGISTRY.items():
        if kind.signature and all({a.lower() for a in aliases} & have for aliases in kind.signature):
            return name
    return None
