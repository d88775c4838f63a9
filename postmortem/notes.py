"""The SRE's own words: an `incident.toml` with the title, severity, narrative sections, action items and
manual timeline entries, validated strictly so a typo is an error naming the key, not a silent gap."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

from postmortem.errors import InputError
from postmortem.export import write_text

TEXT_KEYS = (
    "title",
    "severity",
    "status",
    "summary",
    "root_cause",
    "trigger",
    "lessons",
    "went_well",
    "went_badly",
)
ANCHOR_KEYS = ("impact_start", "detected", "mitigated", "resolved")
ACTION_KEYS = {"what": True, "owner": False, "due": False, "status": False}
TIMELINE_KEYS = {"ts": True, "text": True}

PLACEHOLDER = "TODO"  # a value that starts with it is a blank still to fill in: the report shows "to be written"
TEMPLATE = '''# postmortem notes: fill in, then `postmortem report --notes incident.toml`.
# Every key is optional. A value still starting with TODO counts as not written: the report shows
# "to be written" for it, so an unedited template never publishes invented content.
# Times are TOML datetimes or ISO-8601 strings; give an offset (Z, +02:00) or they are read as UTC.

title = "TODO: one line naming what failed"
severity = "TODO: e.g. SEV-1"
status = "draft"            # draft, in review, final
owners = ["TODO: incident commander"]
# summary = "Replaces the generated executive summary."
root_cause = """TODO: why it happened (the executive summary quotes it)."""
trigger = """TODO: what set it off."""
went_well = """TODO"""
went_badly = """TODO"""
lessons = """TODO"""

# The logs cannot see when a person was alerted: the report's "first error logged after onset" is only the
# first error record. Give the real times here and the report uses (and labels) them.
# [anchors]
# detected = 2026-03-14T21:13:30Z     # when someone was paged or noticed
# impact_start = ...                  # also: mitigated, resolved

[[action_items]]
what = "TODO: a change that prevents a repeat"
owner = "TODO"
due = "TODO: YYYY-MM-DD"
status = "open"

# [[timeline]]                        # events the logs do not show (declared, paged, status page)
# ts = 2026-03-14T21:14:00Z
# text = "Incident declared"
'''


def _when(value, key: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"notes: {key} is not an ISO-8601 time: {value!r}") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise InputError(f"notes: {key} must be a time, got {type(value).__name__}")


def _text(value, key: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"notes: {key} must be a string, got {type(value).__name__}")
    return value


def is_placeholder(value) -> bool:
    return isinstance(value, str) and value.strip().upper().startswith(PLACEHOLDER)


def _table(item, key: str, spec: dict[str, bool]) -> dict:
    if not isinstance(item, dict):
        raise InputError(f"notes: each [[{key}]] entry must be a table")
    unknown = sorted(set(item) - set(spec))
    if unknown:
        raise InputError(f"notes: unknown key {key}.{unknown[0]} (allowed: {', '.join(spec)})")
    missing = [k for k, required in spec.items() if required and k not in item]
    if missing:
        raise InputError(f"notes: [[{key}]] entry is missing {missing[0]}")
    return item


def write_template(output: str, *, force: bool = False) -> None:
    """Write the template to `output` (`-` is stdout); an existing file is kept unless `force`: it may be
    the filled-in notes of a real incident."""
    if output != "-" and Path(output).exists() and not force:
        raise InputError(f"{output} exists; pass --force to overwrite it (it may hold filled-in notes)")
    write_text(TEMPLATE, output)


def load_notes(path: str | Path | None) -> dict:
    """Validated notes as plain data; an empty dict when no file is given."""
    if path is None:
        return {}
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"notes file not found: {path}") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"notes file {path} is not valid TOML: {err}") from None
    allowed = {*TEXT_KEYS, "owners", "anchors", "action_items", "timeline"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise InputError(f"notes: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
    notes: dict = {key: _text(raw[key], key) for key in TEXT_KEYS if key in raw and not is_placeholder(raw[key])}
    owners = raw.get("owners", [])
    if not isinstance(owners, list) or not all(isinstance(o, str) for o in owners):
        raise InputError("notes: owners must be a list of strings")
    notes["owners"] = [o for o in owners if not is_placeholder(o)]
    anchors = raw.get("anchors", {})
    if not isinstance(anchors, dict):
        raise InputError("notes: anchors must be a table")
    bad = sorted(set(anchors) - set(ANCHOR_KEYS))
    if bad:
        raise InputError(f"notes: unknown key anchors.{bad[0]} (allowed: {', '.join(ANCHOR_KEYS)})")
    notes["anchors"] = {k: _when(v, f"anchors.{k}") for k, v in anchors.items()}
    notes["action_items"] = []
    for item in raw.get("action_items", []):
        item = _table(item, "action_items", ACTION_KEYS)
        if is_placeholder(item["what"]):
            continue
        item = {k: ("" if is_placeholder(v) else v) for k, v in item.items()}
        due = item.get("due")
        if due is not None and not isinstance(due, date | str):
            raise InputError("notes: action_items.due must be a date")
        notes["action_items"].append(
            {
                "what": _text(item["what"], "action_items.what"),
                "owner": _text(item.get("owner", ""), "action_items.owner"),
                "due": due.isoformat() if isinstance(due, date) else (due or ""),
                "status": _text(item.get("status", ""), "action_items.status"),
            }
        )
    notes["timeline"] = [
        {"ts": _when(e["ts"], "timeline.ts"), "text": _text(e["text"], "timeline.text")}
        for e in (_table(entry, "timeline", TIMELINE_KEYS) for entry in raw.get("timeline", []))
        if not is_placeholder(e["text"])
    ]
    return notes
