"""The input kinds, in one registry: which log or export a file is, how it is told, and who reads it.

Two families:
  staged kinds (join, error, glitch)   lines parsed by their format (`postmortem.formats`), mapped to our fields
      (`mapping.FIELDS[kind]`), checked by `queries/ingest/stage_<kind>.sql` and appended by
      `queries/ingest/insert_<kind>.sql`. Told by --kind, the file name, the profile, then `signature`.
  read kinds (webrtc, metric)   whole files read by the kind's own module into its own tables. Told by content
      first (`recognise`), before any log format is sniffed.

A new read kind registers once, in its module or where ingest imports it:

    kinds.register(kinds.Kind(
        "metric", "metrics exports (Prometheus, OTLP, Grafana)",
        recognise=lambda path: ...,     # Path -> LogFile | None (its format one of formats.of_kind("metric"))
        load=load_metric,               # (con, batch: list[FilePlan], options: Options) -> list[FileResult]
        refuse=read.refuse,             # Path -> InputError, when --kind names it but recognise says no
        lake=False,                     # whether a lake can hold it
        noun="a metrics export",        # one file of it, in messages
    ))

and adds its whole-file formats to `formats.TABLE` with `route="whole", kind=...` (`batchable=True` if its
`load` takes several small files at once). `load` owns its transaction and the file's `files` row; the plan
types it receives and returns are in `postmortem.plans`.
"""

from __future__ import annotations

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
    load: Callable | None = None  # read kinds: (con, batch, options) -> list[FileResult]
    refuse: Callable | None = None  # read kinds: Path -> InputError (--kind names it, the content does not)
    lake: bool = True  # a lake holds its tables
    noun: str = "a log"  # one file of this kind, in messages ("a metrics export cannot go into a lake")

    @property
    def staged(self) -> bool:
        return self.load is None


REGISTRY: dict[str, Kind] = {}


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


def names() -> tuple[str, ...]:
    return tuple(REGISTRY)


def staged() -> tuple[str, ...]:
    """The kinds whose logs are staged line by line (what a profile may name)."""
    return tuple(name for name, kind in REGISTRY.items() if kind.staged)


def get(name: str) -> Kind:
    if name not in REGISTRY:
        raise InputError(f"unknown kind {name!r}; use one of: {', '.join(REGISTRY)}")
    return REGISTRY[name]


def by_signature(fields: list[str]) -> str | None:
    """The first staged kind whose every signature set meets the fields."""
    have = {f.lower() for f in fields}
    for name, kind in REGISTRY.items():
        if kind.signature and all({a.lower() for a in aliases} & have for aliases in kind.signature):
            return name
    return None
