"""The postmortem document as data: `build_context(facts, notes, clock)` is a pure function of the facts
gathered once by `postmortem.summary`, the SRE's notes and the clock (reader's zone, generation time). It
returns plain dicts, lists and strings, numbers already formatted as shown, so a test checks every word of
the report without rendering and without a database. Rendering it is `postmortem.render`.

The order is the reader's. The first screen answers everything a reader with one minute asks: a title from
the host and the date, status and severity, the impact in one line, a one-paragraph summary, the root cause,
the top action items and the timeline chart. Then the key figures and the contents, the timeline and the
switch-over, the evidence, the narrative and the appendix. What the logs cannot say is said, never left blank.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from postmortem import figures, webrtc_report
from postmortem.glossary import GLOSSARY
from postmortem.human_times import Clock, duration, iso, spans_days
from postmortem.metrics import figures as metric_figures

KIND_LABELS = {"join": "room-event (join) log", "error": "error log", "glitch": "audio-glitch log"}
CANNOT_ANSWER = {
    "join": "who was in which room, peaks, how many users were affected, who was on stage and where the "
    "audience went (the switch-over)",
    "glitch": "whether and when any room's audio degraded, so the impact window, the phases and the blast "
    "radius; the absence of glitch reports here is not an all-clear",
    "error": "which services failed, when errors began and how soon after onset the first error was logged",
}
SECTIONS = [
    ("root_cause", "Root cause"),
    ("trigger", "Trigger"),
    ("resolution", "Resolution"),
    ("went_well", "What went well"),
    ("went_badly", "What went badly"),
    ("lucky", "Where we got lucky"),
    ("lessons", "Lessons"),
]
FIRST_SCREEN_ACTIONS = 3  # action items on the first screen; the rest follow in the narrative
ANCHOR_MARKS = {
    "impact_start": "impact start",
    "detected": "detected",
    "mitigated": "mitigated",
    "resolved": "resolved",
}
MIC_EVENTS = ("speaker mic on", "speaker mic off")


def build_context(facts: dict, notes: dict, clock: Clock) -> dict:
    """Everything the templates show, as plain data, from the facts, the notes and the clock alone."""
    covered = facts["coverage"]
    clock = clock.with_dates(spans_days(*(c[k] for c in covered.values() for k in ("from", "to"))))
    incident, move, evidence = facts["incident"], facts["switchover"], facts["evidence"]
    from_space = incident["space_id"] if incident else None
    mode = "audio" if incident else ("errors" if covered["error"]["rows"] else "none")
    window = facts["window"]
    burst = facts["error_burst"]
    if window:
        window_text, window_label, day = (
            f"{clock(window['start'])} – {clock(window['end'])}",
            "impact window",
            window["start"],
        )
    elif burst and mode == "errors":
        window_text, window_label, day = (
            f"{clock(burst['start'])} – {clock(burst['end'])}",
            "error burst",
            burst["start"],
        )
    else:
        measured = (facts.get("webrtc") or {}).get("onset")  # dumps alone still date the report
        day = _first_seen(covered) or measured
        seen = [c[k] for c in covered.values() for k in ("from", "to") if c[k] is not None]
        window_label = "logs cover" if seen else ""
        window_text = f"{clock(min(seen), seconds=False)} – {clock(max(seen), seconds=False)}" if seen else ""
    sections = [{"key": key, "title": title, "body": notes.get(key)} for key, title in SECTIONS]
    items = [action_row(item) for item in notes.get("action_items", [])]
    context = {
        "title": notes.get("title") or _title(facts, mode, clock),
        "severity": notes.get("severity") or "unrated",
        "status": notes.get("status") or "draft",
        "owners": notes.get("owners", []),
        "authors": notes.get("authors", []),
        "impact": impact_line(facts, clock),
        "leads": leads(facts, clock),
        "date": day.astimezone(UTC).strftime("%Y-%m-%d") if day else "",
        "window": window_text,
        "window_label": window_label,
        "generated_at": iso(clock.now),
        "display_tz": clock.display_tz,
        "mode": mode,
        "executive_summary": notes.get("summary")
        or executive_summary(facts, notes, clock) + metric_figures.sentence(facts),
        "summary_is_generated": "summary" not in notes,
        "missing": [
            {"kind": kind, "label": KIND_LABELS[kind], "cannot_answer": CANNOT_ANSWER[kind]}
            for kind in facts["missing"]
        ],
        "coverage": [
            {
                "kind": kind,
                "label": KIND_LABELS[kind],
                "files": f"{c['files']:,}",
                "rows": f"{c['rows']:,}",
                "from": clock(c["from"]),
                "to": clock(c["to"]),
                "loaded": c["rows"] > 0,
            }
            for kind, c in covered.items()
        ],
        "cards": key_figures(facts, notes, clock),
        "anchors": anchor_rows(facts, clock) if mode == "audio" else [],
        "root_cause": sections[0],
        "sections": sections[1:],
        "action_items": items,
        "top_action_items": items[:FIRST_SCREEN_ACTIONS],
        "charts": {},
        "switchover": switchover_text(move, (evidence.get("time_to_follow") or [None])[0], clock),
        "phases": [
            {"phase": p["phase"], "space_id": p["space_id"], "start": clock(p["start"]), "end": clock(p["end"])}
            for p in (incident["phases"] if incident else [])
        ],
        "speakers": speaker_rows(evidence.get("speakers", []), evidence.get("mic_toggles", []), clock),
        "tables": {},
        "glitch_scope": f"Glitch reports in {from_space} (the failed room) over its whole life; the chart above "
        "shows its replacement too."
        if from_space
        else "",
        "storm_note": storm_note(evidence.get("storm", [])),
        "key_events": key_event_rows(evidence["events"], notes, clock),
        "spaces": [
            {
                **table_row(s, clock),
                "started": clock(s["started_at"]),
                "ended": clock(s["ended_at"]),
                "incident": s["space_id"] in (from_space, move["to_space"] if move else None),
            }
            for s in facts["spaces"]
        ],
        "data_quality": {
            "kinds": [table_row(r, clock) for r in evidence.get("data_quality", [])],
            "files": [table_row(r, clock) for r in evidence.get("files", [])],
            "reject_reasons": [table_row(r, clock) for r in evidence.get("reject_reasons", [])],
        },
        "glossary": [{"term": term, "text": text.format(**facts["definitions"])} for term, text in GLOSSARY],
    }
    context["webrtc"] = webrtc_report.context(facts, clock)  # None without dumps
    context["charts"] = figures.figures(facts)
    context["tables"] = evidence_tables(facts, clock)
    context["metrics"] = metric_figures.section(facts, clock)
    context["glossary"] += metric_figures.glossary(facts)
    context["toc"] = table_of_contents(context)
    return context


def storm_note(rows: list[dict]) -> str:
    """What the reconnect-storm chart leaves out: its second line is drawn only when someone rejoined 3+ times."""
    if any(r["rejoins"] for r in rows) and not any(r["users_with_3_plus_rejoins"] for r in rows):
        return "No user rejoined three or more times, so the chart has no second axis for them."
    return ""


def _first_seen(covered: dict) -> datetime | None:
    seen = [c["from"] for c in covered.values() if c["from"] is not None]
    return min(seen) if seen else None


def _title(facts: dict, mode: str, clock: Clock) -> str:
    """What failed, for whom, and when, in words a reader knows: the host's room and the day, not a room id."""
    if mode == "audio":
        room = _space(facts, facts["incident"]["space_id"])
        who = f"{room['host']}'s room" if room.get("host") else f"room {room['space_id']}"
        return f"Audio failure in {who} on {_day(facts['incident']['degraded_at'] or room['started_at'])}"
    if mode == "errors":
        burst = facts["error_burst"]
        if burst:
            return f"Error burst on {_day(burst['start'])}"
        logged = facts["coverage"]["error"]
        first, last = _day(logged["from"]), _day(logged["to"])
        return f"Errors on {first}" if first == last else f"Errors from {first} to {last}"
    if facts.get("webrtc"):
        audio = facts["webrtc"]
        when = f" on {_day(audio['onset'])}" if audio["onset"] else ""
        return f"Listener audio measured by {audio['files']:,} WebRTC dumps{when}"
    return "Postmortem"


def _day(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d")


def impact_line(facts: dict, clock: Clock) -> str:
    """The impact in one line: who, how long, when; the error log's burst when no room failed."""
    window, move, burst = facts["window"], facts["switchover"], facts["error_burst"]
    if facts["incident"] is not None and window:
        span = f"{clock(window['start'], seconds=False)} – {clock(window['end'], seconds=False)}"
        line = (
            f"{window['users_affected']:,} users affected for "
            f"{duration((window['end'] - window['start']).total_seconds()).removesuffix(' 00 s')} ({span}); "
            f"{window['users_reporting']:,} reported a glitch"
        )
        if move:
            line += (
                f"; {move['listeners_followed']:,} of {move['from_unique_listeners']:,} listeners "
                f"({move['follow_rate']:.0%}) followed to the replacement room"
            )
        return line + "."
    if burst:
        return (
            f"{burst['errors']:,} error-level records in {duration(burst['minutes'] * 60).removesuffix(' 00 s')} "
            f"({clock(burst['start'], seconds=False)} – {clock(burst['end'], seconds=False)}), up to "
            f"{burst['peak_per_minute']:,} a minute, from {facts['errors']['services']:,} services "
            "in the error log; which users this touched cannot be told without room logs."
        )
    if facts["coverage"]["error"]["rows"]:
        return f"{facts['errors']['total']:,} error-level records and no sustained burst; no room logs to tell who."
    return "No impact could be measured from these logs."


def leads(facts: dict, clock: Clock) -> list[str]:
    """What the logs point at, for the root-cause box until the notes give one: never called a cause."""
    out = []
    detected = (facts["incident"] or {}).get("detected")
    if detected:
        lead = (detected["detected_at"] - facts["anchors"]["impact_start"]).total_seconds()
        when = "before" if lead < 0 else "after"
        out.append(
            f"first error naming the room: {detected['service']} at {clock(detected['detected_at'])}, "
            f"{duration(abs(lead))} {when} onset ({detected['message']})"
        )
    new = [
        f"{r['dimension']}={r['value']}"
        for r in facts["evidence"].get("factors", [])
        if r["source"] == "errors" and r["new_in_window"]
    ]
    if new:
        out.append("error-log values new in the degraded window: " + ", ".join(new[:4]))
    first_errors = facts["evidence"].get("first_errors")
    if facts["incident"] is None and first_errors:
        out.append(
            "first errors by service: "
            + ", ".join(f"{r['service']} at {clock(r['first_at'])}" for r in first_errors[:3])
        )
    return out


def action_row(item: dict) -> dict:
    """An action item as shown; a ticket that is an http(s) URL becomes a link (no other scheme does)."""
    bug = item.get("bug") or ""
    return {
        "what": item["what"],
        "type": item.get("type") or "",
        "owner": item.get("owner") or "",
        "bug": bug,
        "bug_url": bug if re.match(r"https?://", bug) else "",
        "due": item.get("due") or "",
        "status": item.get("status") or "",
    }


def _space(facts: dict, space_id: str | None) -> dict:
    return next((s for s in facts["spaces"] if s["space_id"] == space_id), {})


def _missing_phrase(kinds: list[str]) -> str:
    labels = [KIND_LABELS[k] for k in kinds]
    joined = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return joined[0].upper() + joined[1:] + (" was" if len(labels) == 1 else " were") + " not loaded"


def executive_summary(facts: dict, notes: dict, clock: Clock) -> str:
    """Three or four sentences for a reader with one minute. Missing logs are named, never read as calm."""
    incident, move = facts["incident"], facts["switchover"]
    root = f" Root cause: {notes['root_cause'].strip()}" if notes.get("root_cause") else ""
    if root and not root.endswith((".", "!", "?")):
        root += "."
    measured = f" {webrtc_report.sentence(facts, clock)}" if facts.get("webrtc") else ""
    if incident is None:
        audio_gap = [k for k in ("join", "glitch") if k in facts["missing"]]
        if measured:  # the dumps answer what the room and glitch logs would have
            gaps = (
                f" {_missing_phrase(facts['missing'])}: see “What these logs cannot tell”." if facts["missing"] else ""
            )
            return measured.strip() + gaps + root
        if audio_gap:
            text = f"{_missing_phrase(audio_gap)}, so whether any room's audio degraded cannot be told from these logs."
        else:
            text = "No room's audio degraded by the definitions in the glossary; no incident room was identified."
        return text + error_story(facts, clock) + root
    room = _space(facts, incident["space_id"])
    if incident["degraded_at"] is None:
        return (
            f"Room {incident['space_id']} (host {room.get('host')}) was chosen as the incident room, but its "
            "glitch reports never rose to a sustained degradation by the definitions in the glossary." + root
        )
    kinds = ", then ".join(k for k in ("screech", "silence") if facts["glitches"]["by_kind"].get(k)) or "glitches"
    window = facts["window"] or {}
    text = (
        f"At {clock(incident['degraded_at'], seconds=False)} audio in {room.get('host')}'s room "
        f"{incident['space_id']} degraded ({kinds}); {window.get('users_affected', 0):,} users were in the room "
        f"while it was degraded (at most {room.get('peak_concurrent', 0):,} at once). "
        f"The room ended at {clock(room.get('ended_at'), seconds=False)}."
    )
    if move:
        to_room = _space(facts, move["to_space"])
        text += (
            f" A replacement room by {move['to_host']} started {move['gap_seconds'] / 60:.1f} minutes later; "
            f"{move['listeners_followed']:,} of the {move['from_unique_listeners']:,} listeners followed "
            f"({move['follow_rate']:.0%}; {move['follow_rate_of_at_end']:.0%} of the "
            f"{move['listeners_at_end']:,} still present at the end) and it peaked at "
            f"{to_room.get('peak_concurrent', 0):,} users."
        )
    else:
        text += f" No replacement room started within {facts['definitions']['window_minutes']} minutes of the end."
    text += measured
    gaps = [k for k in facts["missing"]]
    if gaps:
        text += f" {_missing_phrase(gaps)}: see “What these logs cannot tell”."
    return text + root


def error_story(facts: dict, clock: Clock) -> str:
    """The error log's part of the summary when no incident room was found."""
    if not facts["coverage"]["error"]["rows"]:
        return ""
    burst, errors = facts["error_burst"], facts["errors"]
    first = (facts["evidence"].get("first_errors") or [None])[0]
    if burst:
        text = (
            f" The error log shows a burst from {clock(burst['start'], seconds=False)} to "
            f"{clock(burst['end'], seconds=False)}: {burst['errors']:,} error- and fatal-level records "
            f"(up to {burst['peak_per_minute']:,} a minute)"
        )
    else:
        text = f" The error log holds {errors['total']:,} error- and fatal-level records and no sustained burst"
    if errors["without_severity"]:
        text += (
            f"; {errors['without_severity']:,} of its records carry no severity (their log does not say one), so"
            " whether they are errors cannot be told: no error count here is an all-clear"
        )
    if first:
        code = f"{first['code']}: " if first["code"] else ""
        text += f"; the first came from {first['service']} at {clock(first['first_at'])} ({code}{first['message']})"
    return text + "."


def key_figures(facts: dict, notes: dict, clock: Clock) -> list[dict]:
    """The cards: each carries its JSON-summary key and raw value beside the text shown."""
    incident, move, anchor = facts["incident"], facts["switchover"], facts["anchors"]
    cards: list[dict] = []

    def card(key: str, label: str, value, display: str, note: str = "") -> None:
        cards.append({"key": key, "label": label, "value": value, "display": display, "note": note})

    if incident is None:
        if facts["glitches"]["total"]:
            glitches = facts["glitches"]["total"]
            measured = facts["webrtc"]["measured_glitches"] if facts.get("webrtc") else 0
            note = f"over all rooms; {measured:,} measured from WebRTC dumps" if measured else "over all rooms"
            card("glitches.total", "Glitch reports", glitches, f"{glitches:,}", note)
        if facts["coverage"]["error"]["rows"]:
            errors, burst = facts["errors"], facts["error_burst"]
            note = "error and fatal"
            if errors["without_severity"]:
                note += f"; {errors['without_severity']:,} more records carry no severity"
            card("errors.total", "Error-level records", errors["total"], f"{errors['total']:,}", note)
            card("errors.services", "Services with errors", len(errors["by_service"]), f"{len(errors['by_service']):,}")
            if burst:
                card(
                    "error_burst.minutes",
                    "Error burst",
                    burst["minutes"],
                    duration(burst["minutes"] * 60),
                    f"{clock(burst['start'], seconds=False)} – {clock(burst['end'], seconds=False)}",
                )
                card(
                    "error_burst.peak_per_minute",
                    "Peak errors per minute",
                    burst["peak_per_minute"],
                    f"{burst['peak_per_minute']:,}",
                )
        return cards
    from_space = incident["space_id"]
    for space_id, role in ((from_space, "failed"), (move["to_space"] if move else None, "replacement")):
        room = _space(facts, space_id)
        if room:
            # Not the chart's per-minute line, which counts anyone present at any moment of a minute: the
            # chart marks this number with a diamond at the same instant.
            card(
                f"spaces.{space_id}.peak_concurrent",
                f"Most at once in {space_id} ({role})",
                room["peak_concurrent"],
                f"{room['peak_concurrent']:,}",
                f"users present at the same moment, at {clock(room['peak_at'])}",
            )
    window = facts["window"]
    if window:
        card(
            "window.users_affected",
            "Users affected",
            window["users_affected"],
            f"{window['users_affected']:,}",
            f"in {from_space} during the impact window; {window['users_reporting']:,} reported a glitch",
        )
    if move:
        card(
            "switchover.follow_rate",
            "Listeners who followed",
            move["follow_rate"],
            f"{move['follow_rate']:.1%}",
            f"{move['listeners_followed']:,} of {move['from_unique_listeners']:,} listeners; "
            f"{move['follow_rate_of_at_end']:.1%} of the {move['listeners_at_end']:,} present at the end",
        )
    if "detected" in anchor["overridden"]:
        detect_label, detect_note = "Time to detect", f"detected {clock(anchor['detected'])} (from notes)"
    elif (anchor["time_to_detect_s"] or 0) < 0:
        # The value stays negative (as in the JSON); the words carry the sign, never "after" with a minus.
        detect_label = "First error logged before onset"
        detect_note = "errors led the audio failure; not when anyone was alerted: set [anchors] detected in the notes"
    else:
        detect_label = "First error logged after onset"
        detect_note = "not when anyone was alerted; set [anchors] detected in the notes"
    card(
        "anchors.time_to_detect_s",
        detect_label,
        anchor["time_to_detect_s"],
        duration(
            anchor["time_to_detect_s"] if "detected" in anchor["overridden"] else _abs(anchor["time_to_detect_s"])
        ),
        detect_note,
    )
    start = clock(anchor["impact_start"], seconds=False)
    mitigated = f"{start} → {clock(anchor['mitigated'], seconds=False)}: " + (
        "mitigated (from notes)" if "mitigated" in anchor["overridden"] else "the replacement room started"
    )
    impact_end_at = facts["window"]["end"] if facts["window"] else None
    if not anchor["resolved"]:
        how = "the end of the down phase"
    elif "resolved" in anchor["overridden"]:
        how = "resolved (from notes)"
    else:
        how = "resolved: the replacement's audio recovered"
    resolved = f"{start} → {clock(impact_end_at, seconds=False)}: {how}"
    if anchor["time_to_mitigate_s"] is not None and anchor["time_to_mitigate_s"] == anchor["impact_duration_s"]:
        # One duration, one card: two equal cards read as two findings.
        card(
            "anchors.impact_duration_s",
            "Customer impact = time to mitigate",
            anchor["impact_duration_s"],
            duration(anchor["impact_duration_s"]),
            resolved + "; impact ended when the replacement room started",
        )
    else:
        card(
            "anchors.time_to_mitigate_s",
            "Time to mitigate",
            anchor["time_to_mitigate_s"],
            duration(anchor["time_to_mitigate_s"]),
            mitigated,
        )
        card(
            "anchors.impact_duration_s",
            "Customer impact",
            anchor["impact_duration_s"],
            duration(anchor["impact_duration_s"]),
            resolved,
        )
    if window:
        rooms = f"{from_space} and its replacement" if move else from_space
        card(
            "window.errors",
            "Errors in the impact window",
            window["errors"],
            f"{window['errors']:,}",
            f"error and fatal, naming {rooms} or no room",
        )
        card(
            "window.glitches",
            "Glitch reports in the impact window",
            window["glitches"],
            f"{window['glitches']:,}",
            f"reported in {rooms}",
        )
    return cards


def _abs(seconds: float | None) -> float | None:
    return None if seconds is None else abs(seconds)


def anchor_rows(facts: dict, clock: Clock) -> list[dict]:
    anchor = facts["anchors"]
    names = {
        "impact_start": "impact start",
        "detected": "detected" if "detected" in anchor["overridden"] else "first error logged",
        "mitigated": "mitigated",
        "resolved": "resolved",
    }
    return [
        {"name": label, "when": clock(anchor[key]), "overridden": key in anchor["overridden"]}
        for key, label in names.items()
    ]


def switchover_text(move: dict | None, follow: dict | None, clock: Clock) -> dict | None:
    """The switch-over as shown, with how long followers took (time_to_follow: from leaving the failed room to
    joining the replacement) when any followed."""
    if not move:
        return None
    return {
        "time_to_follow": f"median {duration(follow['median_s'])}, 90th percentile {duration(follow['p90_s'])} "
        f"(fastest {duration(follow['min_s'])}, slowest {duration(follow['max_s'])})"
        if follow and follow["followers"]
        else "",
        "from_space": move["from_space"],
        "to_space": move["to_space"],
        "from_host": move["from_host"],
        "to_host": move["to_host"],
        "from_ended_at": clock(move["from_ended_at"]),
        "to_started_at": clock(move["to_started_at"]),
        "gap": duration(move["gap_seconds"]),
        "speakers_moved": move["speakers_moved"],
        "listeners_followed": f"{move['listeners_followed']:,}",
        "from_unique_listeners": f"{move['from_unique_listeners']:,}",
        "follow_rate": f"{move['follow_rate']:.1%}",
        "listeners_at_end": f"{move['listeners_at_end']:,}",
        "followed_of_at_end": f"{move['followed_of_at_end']:,}",
        "follow_rate_of_at_end": f"{move['follow_rate_of_at_end']:.1%}",
    }


def speaker_rows(segments: list[dict], toggles: list[dict], clock: Clock) -> list[dict]:
    """Per speaker and room: on stage from, until, how often they left and came back, time with mic on, and
    how often they toggled their mic (mic_toggles: many toggles in a few minutes is a speaker fighting audio)."""
    toggled = {(t["space_id"], t["user_id"]): t["toggles"] for t in toggles}
    out: dict[tuple, dict] = {}
    for s in segments:
        row = out.setdefault(
            (s["space_id"], s["user_id"]),
            {
                "space_id": s["space_id"],
                "user_id": s["user_id"],
                "role": s["role"],
                "first": s["start"],
                "last": s["end"],
                "left": 0,
                "mic_s": 0.0,
            },
        )
        row["last"] = max(row["last"], s["end"])
        row["left"] += bool(s["ends_with_leave"])
        if s["mic"] == "mic on":
            row["mic_s"] += (s["end"] - s["start"]).total_seconds()
    return [
        {
            "space_id": r["space_id"],
            "user_id": r["user_id"],
            "role": r["role"],
            "on_stage": f"{clock(r['first'])} – {clock(r['last'])}",
            "left_and_came_back": f"{r['left']:,}",
            "mic_on": duration(r["mic_s"]),
            "mic_toggles": f"{toggled.get((r['space_id'], r['user_id']), 0):,}",
        }
        for r in out.values()
    ]


def key_event_rows(events: list[dict], notes: dict, clock: Clock) -> list[dict]:
    """The key-events table: the logs' events and the notes' entries, in order. Mic toggles are drawn in the
    speaker lanes and counted in the speakers table rather than listed one by one."""
    logged = [
        (e["ts"], e["space_id"] or "", e["kind"], e["actor"] or "", _detail(e, clock), "logs")
        for e in events
        if e["kind"] not in MIC_EVENTS and e.get("source") != "notes"  # the notes' own rows follow
    ]
    noted = [(e["ts"], "", "note", "", e["text"], "notes") for e in notes.get("timeline", [])]
    noted += [
        (ts, "", name.replace("_", " "), "", "anchor set in the notes", "notes")
        for name, ts in notes.get("anchors", {}).items()
    ]
    table = [
        {
            "when": clock(ts),
            "ts": iso(ts),
            "space_id": space,
            "kind": kind,
            "actor": actor,
            "detail": detail,
            "source": source,
        }
        for ts, space, kind, actor, detail, source in logged + noted
    ]
    return sorted(table, key=lambda e: (e["ts"], e["source"]))


def _detail(event: dict, clock: Clock) -> str:
    if event.get("until"):
        return f"until {clock(event['until'])}"
    return event["detail"] or ""


def table_row(row: dict, clock: Clock) -> dict:
    """A row as shown: thousands separators, times in the report's one format, lists joined."""
    return {key: show(value, clock) for key, value in row.items()}


def show(value, clock: Clock) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return clock(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(show(v, clock) for v in value)
    return str(value)


def _servers(shown: dict, raw: dict) -> dict:
    """A server count the log could not give is "not logged", never 0 (the queries return null for it)."""
    if "servers" in raw and raw["servers"] is None:
        return {**shown, "servers": "not logged"}
    return shown


def evidence_tables(facts: dict, clock: Clock) -> dict:
    """The tables beside the charts, as shown (see `table_row`)."""
    evidence = facts["evidence"]
    tables = {
        name: [_servers(table_row(r, clock), r) for r in evidence.get(source, [])]
        for name, source in (
            ("first_errors", "first_errors"),
            ("top_messages", "top_messages"),
            ("errors", "error_breakdown"),
            ("glitch_kinds", "glitch_breakdown"),
        )
    }
    tables["factors"] = [
        {
            **table_row(r, clock),
            "lift": "new in the window" if r["new_in_window"] else f"{r['lift']:g}×",
            "support": f"{r['window_records']:,} in the window, {r['baseline_records']:,} before",
        }
        for r in evidence.get("factors", [])[: figures.TOP_FACTORS]
    ]
    return tables


def table_of_contents(context: dict) -> list[tuple[str, str]]:
    toc = [("first-screen", "Summary, root cause and action items"), ("summary", "Key figures")]
    if context["webrtc"]:
        toc.append(("webrtc-audio", "Listener audio (measured)"))
    if context["missing"]:
        toc.append(("missing-logs", "What these logs cannot tell"))
    if context["mode"] == "audio":
        toc += [
            ("timeline", "Failure timeline"),
            ("switchover", "The switch-over"),
            ("where-it-broke", "Where it broke"),
        ]
    elif context["mode"] == "errors":
        toc.append(("errors", "Errors"))
    if context["metrics"]:
        toc.append(("metrics", "Metrics: what moved first"))
    toc += [("postmortem", "Postmortem narrative"), ("appendix", "Appendix: events, data quality, glossary")]
    return toc
