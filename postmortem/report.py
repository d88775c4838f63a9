"""The postmortem document as data: `build_context(facts, notes, clock)` is a pure function of the facts
gathered once by `postmortem.summary`, the SRE's notes and the clock (reader's zone, generation time). It
returns plain dicts, lists and strings, numbers already formatted as shown, so a test checks every word of
the report without rendering and without a database. Rendering it is `postmortem.render`.

The order is the reader's: what happened and how bad, root cause and actions, then the timeline and the
switch-over, then the evidence, then the appendix. What the logs cannot say is said, never left blank.
"""

from __future__ import annotations

from datetime import UTC, datetime

from postmortem import figures, webrtc_report
from postmortem.glossary import GLOSSARY
from postmortem.metrics import figures as metric_figures
from postmortem.timefmt import Clock, duration, iso, spans_days

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
    ("went_well", "What went well"),
    ("went_badly", "What went badly"),
    ("lessons", "Lessons"),
]
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
        window_text, window_label, day = "—", "incident window", _first_seen(covered)
    sections = [{"key": key, "title": title, "body": notes.get(key)} for key, title in SECTIONS]
    context = {
        "title": notes.get("title") or _title(facts, mode),
        "severity": notes.get("severity") or "unrated",
        "status": notes.get("status") or "draft",
        "owners": notes.get("owners", []),
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
        "action_items": notes.get("action_items", []),
        "charts": {},
        "switchover": switchover_text(move, clock),
        "phases": [
            {"phase": p["phase"], "space_id": p["space_id"], "start": clock(p["start"]), "end": clock(p["end"])}
            for p in (incident["phases"] if incident else [])
        ],
        "speakers": speaker_rows(evidence.get("speakers", []), clock),
        "tables": {},
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
    context["charts"], context["tables"] = figures.chart_specs(facts), evidence_tables(facts, clock)
    context["metrics"] = metric_figures.section(facts, clock)
    context["glossary"] += metric_figures.glossary(facts)
    metric_chart = metric_figures.chart(facts) if context["metrics"] else None
    if metric_chart:
        context["charts"]["metrics"] = metric_chart
    context["toc"] = table_of_contents(context)
    return context


def _first_seen(covered: dict) -> datetime | None:
    seen = [c["from"] for c in covered.values() if c["from"] is not None]
    return min(seen) if seen else None


def _title(facts: dict, mode: str) -> str:
    if mode == "audio":
        return f"Postmortem: audio failure in {facts['incident']['space_id']}"
    if mode == "errors":
        return "Postmortem: error burst" if facts["error_burst"] else "Postmortem: errors"
    return "Postmortem"


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
    for space_id in (from_space, move["to_space"] if move else None):
        room = _space(facts, space_id)
        if room:
            card(
                f"spaces.{space_id}.peak_concurrent",
                f"Peak in {space_id}",
                room["peak_concurrent"],
                f"{room['peak_concurrent']:,}",
                "most present at once, " + clock(room["peak_at"], seconds=False),
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
    else:
        detect_label = "First error logged after onset"
        detect_note = "not when anyone was alerted; set [anchors] detected in the notes"
        if (anchor["time_to_detect_s"] or 0) < 0:
            detect_note = "negative: errors led the audio failure; " + detect_note
    card(
        "anchors.time_to_detect_s",
        detect_label,
        anchor["time_to_detect_s"],
        duration(anchor["time_to_detect_s"]),
        detect_note,
    )
    card(
        "anchors.time_to_mitigate_s",
        "Time to mitigate",
        anchor["time_to_mitigate_s"],
        duration(anchor["time_to_mitigate_s"]),
        "until the switch-over room started" + (" (from notes)" if "mitigated" in anchor["overridden"] else ""),
    )
    card(
        "anchors.impact_duration_s",
        "Customer impact",
        anchor["impact_duration_s"],
        duration(anchor["impact_duration_s"]),
    )
    if window:
        card(
            "window.errors", "Errors in the impact window", window["errors"], f"{window['errors']:,}", "error and fatal"
        )
        card("window.glitches", "Glitch reports in the impact window", window["glitches"], f"{window['glitches']:,}")
    return cards


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


def switchover_text(move: dict | None, clock: Clock) -> dict | None:
    if not move:
        return None
    return {
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


def speaker_rows(segments: list[dict], clock: Clock) -> list[dict]:
    """Per speaker and room: on stage from, until, how often they left and came back, time with mic on."""
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


def evidence_tables(facts: dict, clock: Clock) -> dict:
    """The tables beside the charts, as shown (see `table_row`)."""
    evidence = facts["evidence"]
    tables = {
        name: [table_row(r, clock) for r in evidence.get(source, [])]
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
    toc = [("summary", "Summary and key figures")]
    if context["webrtc"]:
        toc.append(("webrtc-audio", "Listener audio (measured)"))
    if context["missing"]:
        toc.append(("missing-logs", "What these logs cannot tell"))
    toc.append(("root-cause", "Root cause and action items"))
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
