"""Profiles: a log shape written down once (format, field mapping, timestamp formats, levels, a text pattern),
built in for the common ones (postmortem/profiles/*.toml) or a team's own TOML file.

A profile file holds the keys of `Mapping` at the top level and, optionally, per log kind under `[join]`,
`[error]` or `[glitch]`; see docs/log-format.md ("Bring your own logs").
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from postmortem import formats, kinds
from postmortem.errors import InputError
from postmortem.mapping import LEVELS, SCALES, Mapping

BUILT_IN = Path(__file__).parent / "profiles"
PROFILE_FORMATS = formats.CHOICES
KINDS = kinds.staged()  # a profile maps a staged log; the kinds read whole have their own readers


@dataclass(frozen=True)
class Profile:
    name: str
    description: str = ""
    example: str = ""
    format: str | None = None
    kind: str | None = None
    detect: tuple[str, ...] = ()  # fields that, all present, say a JSON/CSV file is of this profile
    mapping: Mapping = field(default_factory=Mapping)
    per_kind: dict[str, Mapping] = field(default_factory=dict)

    def mapping_for(self, kind: str) -> Mapping:
        return self.per_kind[kind].merged_over(self.mapping) if kind in self.per_kind else self.mapping


def _mapping(table: dict, where: str) -> Mapping:
    def text_dict(key: str) -> dict[str, str]:
        value = table.get(key, {})
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise InputError(f"{where}: [{key}] must map names to strings")
        return dict(value)

    fields = {}
    for name, sources in table.get("map", {}).items():
        alternatives = [sources] if isinstance(sources, str) else sources
        if not isinstance(alternatives, list) or not all(isinstance(a, str) for a in alternatives):
            raise InputError(f"{where}: [map] {name} must be a field name or a list of them (tried in order)")
        fields[name] = [[p.strip() for p in a.split("+")] for a in alternatives]
    level_map = {k.lower(): v.lower() for k, v in text_dict("level_map").items()}
    bad = [v for v in level_map.values() if v not in LEVELS]
    if bad:
        raise InputError(f"{where}: level {bad[0]!r} is not one of {', '.join(LEVELS)}")
    scale = table.get("level_scale")
    if scale is not None and scale not in SCALES:
        raise InputError(f"{where}: level_scale {scale!r} is not one of {', '.join(SCALES)}")
    pattern = table.get("pattern")
    if pattern is not None:
        check_pattern(pattern, where)
    return Mapping(
        fields=fields,
        constants=text_dict("set"),
        defaults=text_dict("default"),
        ts_formats=list(table.get("ts_formats", [])),
        level_map=level_map,
        level_scale=scale,
        pattern=pattern,
        multiline=bool(table.get("multiline", False)),
    )


def check_pattern(pattern: str, where: str = "--pattern") -> list[str]:
    """The pattern's group names in order (unnamed groups get placeholder names); one-line error if it is no
    regular expression. DuckDB's engine (RE2) takes Python's `(?P<name>...)` syntax."""
    try:
        compiled = re.compile(pattern)
    except re.error as err:
        raise InputError(f"{where}: not a regular expression: {err}") from None
    names = {index: name for name, index in compiled.groupindex.items()}
    groups = [names.get(i, f"_{i}") for i in range(1, compiled.groups + 1)]
    seen: dict[str, str] = {}
    for group in groups:  # DuckDB's struct of groups (and our field matching) ignores case: one would be lost
        if (other := seen.setdefault(group.lower(), group)) != group:
            raise InputError(f"{where}: groups {other!r} and {group!r} differ only in case; rename one")
    return groups


def parse(text: str, name: str, where: str) -> Profile:
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{where}: not valid TOML: {err}") from None
    fmt = table.get("format")
    if fmt is not None and fmt not in PROFILE_FORMATS:
        raise InputError(f"{where}: format {fmt!r} is not one of {', '.join(PROFILE_FORMATS)}")
    kind = table.get("kind")
    if kind is not None and kind not in KINDS:
        raise InputError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    return Profile(
        name=name,
        description=str(table.get("description", "")),
        example=str(table.get("example", "")),
        format=fmt,
        kind=kind,
        detect=tuple(table.get("detect", ())),
        mapping=_mapping(table, where),
        per_kind={k: _mapping(table[k], f"{where} [{k}]") for k in KINDS if isinstance(table.get(k), dict)},
    )


@cache
def built_in() -> dict[str, Profile]:
    return {
        path.stem: parse(path.read_text(encoding="utf-8"), path.stem, path.name)
        for path in sorted(BUILT_IN.glob("*.toml"))
    }


def load(name_or_path: str) -> Profile:
    """A built-in profile by name, or a TOML file."""
    profiles = built_in()
    if name_or_path in profiles:
        return profiles[name_or_path]
    path = Path(name_or_path)
    if path.suffix.lower() == ".toml" or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise InputError(f"profile {name_or_path}: cannot read: {err.strerror}") from None
        return parse(text, path.stem, str(path))
    raise InputError(f"unknown profile {name_or_path!r}; built in: {', '.join(profiles)} (or a .toml file)")


def text_profiles() -> list[Profile]:
    return [p for p in built_in().values() if p.mapping.pattern]
