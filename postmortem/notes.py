"""The SRE's own words: an `incident.toml` with the title, severity, narrative sections, action items and
manual timeline entries, validated strictly so a typo is an error naming the key, not a silent gap."""

from __future__ import annotations

import re
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
    "resolution",
    "lessons",
    "went_well",
    "went_badly",
    "lucky",
)
LIST_KEYS = ("owners", "authors")
ANCHOR_KEYS = ("impact_start", "detected", "mitigated", "resolved")
ACTION_KEYS = {"what": True, "owner": False, "due": False, "status": False, "bug": False, "type": False}
TIMELINE_KEYS = {"ts": True, "text": True}
# The enumerations, checked so a typo is refused rather than shown; action-item types follow the Google SRE
# workbook's postmortem template.
STATUSES = ("draft", "in review", "final")
ACTION_STATUSES = ("open", "in progress", "blocked", "done", "dropped")
ACTION_TYPES = ("prevent", "mitigate", "detect", "process")
# A bug is a web address or a ticket id (ABC-123, #123, b/123456): one word, so it can be shown or linked safely.
_TICKET = re.compile(r"[A-Za-z0-9#][A-Za-z0-9_./#-]{0,99}")

PLACEHOLDER = "TODO"  # a value that starts with it is a blank still to fill in: the report shows "to be written"
TEMPLATE = '''# postmortem notes: fill in, then `postmortem report --notes incident.toml`.
# Every key is optional. A value still starting with TODO counts as not written: the report shows
# "to be written" for it, so an unedited template never publishes invented content.
# Times are TOML datetimes or ISO-8601 strings; give an offset (Z, +02:00) or they are read as UTC.

title = "TODO: one line naming what failed"
severity = "TODO: e.g. SEV-1"
status = "draft"            # draft, in review or final
owners = ["TODO: incident commander"]
authors = ["TODO: who wrote this postmortem"]
# summary = "Replaces the generated executive summary."
root_cause = """TODO: why it happened (the executive summary quotes it)."""
trigger = """TODO: what set it off."""
resolution = """TODO: what stopped the impact, and how."""
went_well = """TODO"""
went_badly = """TODO"""
lessons = """TODO"""
lucky = """TODO: where we got lucky."""

# The logs cannot see when a person was alerted: the report's "first error logged after onset" is only the
# first error record. Give the real times here and the report uses (and labels) them.
# [anchors]
# detected = 2026-03-14T21:13:30Z     # when someone was paged or noticed
# impact_start = ...                  # also: mitigated, resolved

[[action_items]]
what = "TODO: a change that prevents a repeat"
type = "prevent"            # prevent, mitigate, detect or process
owner = "TODO"
due = "TODO: YYYY-MM-DD"
status = "open"             # open, in progress, blocked, done or dropped
bug = "TODO: ticket id (ABC-123) or https:// address"

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
    """Validated notes as plain data; an empty dict when no file is given. A bad value is an error naming its
    key and the value: `notes: action_items[2].due: '2023-13-45' is not a date (YYYY-MM-DD)`."""
    if path is None:
        return {}
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"notes file not found: {path}") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"notes file {path} is not valid TOML: {err}") from None
    allowed = {*TEXT_KEYS, *LIST_KEYS, "anchors", "action_items", "timeline"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise InputError(f"notes: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
    notes: dict = {key: _text(raw[key], key) for key in TEXT_KEYS if key in raw and not is_placeholder(raw[key])}
    if "status" in notes:
        notes["status"] = _choice(notes["status"], "status", STATUSES)
    for key in LIST_KEYS:
        names = raw.get(key, [])
        if not isinstance(names, list) or not all(isinstance(o, str) for o in names):
            raise InputError(f"notes: {key} must be a list of strings")
        notes[key] = [o for o in names if not is_placeholder(o)]
    anchors = raw.get("anchors", {})
    if not isinstance(anchors, dict):
        raise InputError("notes: anchors must be a table")
    bad = sorted(set(anchors) - set(ANCHOR_KEYS))
    if bad:
        raise InputError(f"notes: unknown key anchors.{bad[0]} (allowed: {', '.join(ANCHOR_KEYS)})")
    notes["anchors"] = {k: _when(v, f"anchors.{k}") for k, v in anchors.items()}
    notes["action_items"] = [
        _action(item, f"action_items[{i}]")
        for i, item in enumerate(_entries(raw, "action_items"), 1)
        if not is_placeholder(_table(item, "action_items", ACTION_KEYS)["what"])
    ]
    notes["timeline"] = [
        {"ts": _when(e["ts"], f"timeline[{i}].ts"), "text": _text(e["text"], f"timeline[{i}].text")}
        for i, e in enumerate((_table(entry, "timeline", TIMELINE_KEYS) for entry in _entries(raw, "timeline")), 1)
        if not is_placeholder(e["text"])
    ]
    return notes


def _entries(raw: dict, key: str) -> list:
    entries = raw.get(key, [])
    if not isinstance(entries, list):
        raise InputError(f"notes: {key} must be a list of [[{key}]] tables")
    return entries


def _action(item: dict, key: str) -> dict:
    """One action item, each field checked; a field left as TODO is empty."""
    item = {k: ("" if is_placeholder(v) else v) for k, v in item.items()}
    due = item.get("due") or ""
    if isinstance(due, datetime) or not isinstance(due, date | str):
        raise InputError(f"notes: {key}.due must be a date (YYYY-MM-DD), got {due!r}")
    if isinstance(due, str) and due:
        try:
            due = date.fromisoformat(due)
        except ValueError:
            raise InputError(f"notes: {key}.due: {due!r} is not a date (YYYY-MM-DD)") from None
    status = _text(item.get("status", ""), f"{key}.status")
    kind = _text(item.get("type", ""), f"{key}.type")
    bug = _text(item.get("bug", ""), f"{key}.bug").strip()
    if bug and not (_web_address(bug) or _TICKET.fullmatch(bug)):
        raise InputError(
            f"notes: {key}.bug: {bug!r} is neither an http(s):// address nor a ticket id (e.g. ABC-123, #123)"
        )
    return {
        "what": _text(item["what"], f"{key}.what"),
        "type": _choice(kind, f"{key}.type", ACTION_TYPES) if kind else "",
        "owner": _text(item.get("owner", ""), f"{key}.owner"),
        "due": due.isoformat() if isinstance(due, date) else "",
        "status": _choice(status, f"{key}.status", ACTION_STATUSES) if status else "",
        "bug": bug,
    }


def _choice(value: str, key: str, allowed: tuple[str, ...]) -> str:
    normal = " ".join(value.lower().replace("_", " ").split())
    if normal not in allowed:
        raise InputError(f"notes: {key}: {value!r} is not one of: {', '.join(allowed)}")
    return normal


def _web_address(text: str) -> bool:
    """An http(s) address with a host and no spaces or quotes: nothing a link could turn into script."""
    return re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[^\s\"'<>`]*)?", text) is not None


def content(notes: dict) -> dict:
    """What the notes say, for the JSON summary: every text field (null when not written), the lists, the
    action items, the timeline entries and the anchor times, with the same keys whether or not notes were given."""
    return {
        "given": bool(notes),
        **{key: notes.get(key) for key in TEXT_KEYS},
        **{key: notes.get(key, []) for key in LIST_KEYS},
        "action_items": notes.get("action_items", []),
        "timeline": notes.get("timeline", []),
        "anchors": notes.get("anchors", {}),
    }


def key_events(notes: dict) -> list[dict]:
    """The notes' times as key events shaped like the logs' (see summary.timeline_events): each anchor
    (`note: detected`, `note: resolved`, ...) and each [[timeline]] entry (`note`), marked `source: notes`."""
    anchors = [
        {"ts": ts, "kind": f"note: {name.replace('_', ' ')}", "detail": "time given in the notes"}
        for name, ts in notes.get("anchors", {}).items()
    ]
    entries = [{"ts": e["ts"], "kind": "note", "detail": e["text"]} for e in notes.get("timeline", [])]
    return [{**e, "space_id": None, "actor": None, "source": "notes"} for e in anchors + entries]
