"""The facts the WebRTC dumps give (the JSON summary's `webrtc`): counts, listener audio quality per minute and
by edge/region/platform, and the verdict "speaker or network?". Asked of the database by the summary stage,
only when dumps were loaded, so a database without any gives exactly the report it gave before.

The verdict weighs two explanations of a degradation the listeners measured (definitions in
docs/definitions.md): one speaker's microphone starting a feedback loop (its echo return loss enhancement
collapsing at the onset, whatever edge a listener is on) against a failure of distribution (the degradation
sitting on one edge or region while the others are fine). Neither clearly: "unclear".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from postmortem import queries

LISTENER_STEPS = [("listener_minutes", "webrtc/listener_minutes")]
ONSET = {"sustain": 3, "min_share": 0.05, "min_listeners": 3}  # 30 s, 5% and 3 listeners
SPEAKER_LEAD = timedelta(seconds=60)  # a mic collapse this long before the listeners' onset still leads it
SPEAKER_LAG = timedelta(seconds=30)  # ... or this long after (the 10-second intervals of two clients)
WINDOW = timedelta(minutes=10)  # where the degradation sits is judged over this long from the onset
CONCENTRATED_SHARE = 0.5  # one edge or region: at least this share of its listener-minutes degraded...
CONCENTRATED_LIFT = 3.0  # ...and at least this many times the share everywhere else


def present(con) -> bool:
    """Whether the connection holds the dumps' tables: a database file does; a lake or Spark keeps only the
    dumps' files rows and measured glitches."""
    return queries.engine_of(con).holds("webrtc/present")


def gather(con) -> dict:
    """The `webrtc` facts (evidence rows under `rows`, which the JSON summary leaves out)."""
    counts = queries.run(con, "webrtc/counts").row(0, named=True)
    minutes = queries.run_chained(con, LISTENER_STEPS, "webrtc/minutes").to_dicts()
    breakdown = queries.run_chained(con, LISTENER_STEPS, "webrtc/breakdown").to_dicts()
    onset_row = queries.run(con, "webrtc/onset", **ONSET).to_dicts()
    onset = onset_row[0]["onset"] if onset_row else None
    speakers, places = [], []
    if onset is not None:
        speakers = queries.run(con, "webrtc/speakers", onset=onset).to_dicts()
        places = queries.run_chained(
            con, LISTENER_STEPS, "webrtc/concentration", onset=onset, until=onset + WINDOW
        ).to_dicts()
    return {
        **{k: int(v) for k, v in counts.items()},
        "listener_minutes": sum(m["listeners"] for m in minutes),
        "poor_listener_minutes": sum(m["poor"] for m in minutes),
        "silent_listener_minutes": sum(m["silent"] for m in minutes),
        "onset": onset,
        "mos_by_minute": [{"minute": m["minute"], "p10": m["p10"], "p50": m["p50"]} for m in minutes],
        "verdict": verdict(onset, speakers, places),
        "rows": {"minutes": minutes, "breakdown": breakdown, "speakers": speakers, "concentration": places},
    }


def events(audio: dict, rows: dict) -> list[dict]:
    """Key events the dumps add to the timeline: the measured onset, and the speaker whose mic fed back."""
    out = []
    if audio["onset"] is not None:
        out.append(_event(audio["onset"], "audio degraded (measured)", None, "WebRTC dumps: listeners' onset"))
    speaker = audio["verdict"]["speaker"]
    for s in rows["speakers"]:
        if s["user_id"] == speaker and s["collapse_at"] is not None:
            detail = f"echo return loss enhancement {_db(s['baseline_erle'])} -> {_db(s['lowest_erle'])}"
            out.append(_event(s["collapse_at"], "mic feedback (measured)", s["user_id"], detail, s["space_id"]))
    return out


def _event(ts, kind: str, actor: str | None, detail: str, space_id: str | None = None) -> dict:
    return {"ts": ts, "space_id": space_id, "kind": kind, "actor": actor, "detail": detail}


def verdict(onset: datetime | None, speakers: list[dict], places: list[dict]) -> dict:
    """speaker | network | unclear, with the evidence in words and its strength."""
    if onset is None:
        return {
            "kind": "unclear",
            "speaker": None,
            "strength": None,
            "evidence": ["the listeners' audio never degraded in a sustained way (no onset)"],
        }
    leading = [
        s
        for s in speakers
        if s["collapse_at"] is not None and onset - SPEAKER_LEAD <= s["collapse_at"] <= onset + SPEAKER_LAG
    ]
    spread = _concentrated(places)
    if len(leading) == 1:
        s = leading[0]
        lead = (onset - s["collapse_at"]).total_seconds()
        evidence = [
            f"{s['user_id']}'s microphone echo return loss enhancement fell from a median "
            f"{_db(s['baseline_erle'])} to {_db(s['lowest_erle'])} at {_hms(s['collapse_at'])} UTC, "
            f"{_lead(lead)} the listeners' onset at {_hms(onset)} UTC (a feedback loop: the mic hears the room)",
        ]
        if s["mic_events"]:
            evidence.append(
                f"{s['user_id']} had {s['mic_events']} mic event(s) in the room log in the two minutes before, "
                f"the last {s['last_mic_event']} at {_hms(s['last_mic_event_at'])} UTC"
            )
        if spread is None:
            evidence.append("the degradation was spread over every edge and region, as a speaker's would be")
        else:
            evidence.append(f"but the degradation also concentrated on {spread['dimension']} {spread['value']}")
        strength = "strong" if (s["mic_events"] or spread is None) else "moderate"
        return {"kind": "speaker", "speaker": s["user_id"], "strength": strength, "evidence": evidence}
    if spread is not None:
        evidence = [
            f"{spread['dimension']} {spread['value']}: {spread['degraded_share']:.0%} of its listener-minutes "
            f"degraded from the onset at {_hms(onset)} UTC, against {spread['others_share']:.0%} elsewhere",
        ]
        if speakers:
            evidence.append("no speaker's microphone echo return loss enhancement collapsed at the onset")
        else:
            evidence.append("no speaker's dump was loaded to rule a feedback loop out")
        strength = "strong" if speakers else "moderate"
        return {"kind": "network", "speaker": None, "strength": strength, "evidence": evidence}
    evidence = [f"the listeners' audio degraded from {_hms(onset)} UTC"]
    if len(leading) > 1:
        evidence.append(
            f"{len(leading)} speakers' microphones collapsed around the onset: "
            + ", ".join(s["user_id"] for s in leading)
        )
    else:
        evidence.append("no speaker's microphone collapsed around the onset")
    evidence.append("and the degradation was not concentrated on one edge or region")
    return {"kind": "unclear", "speaker": None, "strength": None, "evidence": evidence}


def _concentrated(places: list[dict]) -> dict | None:
    """The edge (else the region) where the degradation sat, if it sat on one."""
    for dimension in ("edge", "region"):
        rows = [p for p in places if p["dimension"] == dimension and p["value"] != "(unknown)"]
        for p in rows:
            others = p["others_share"]
            if (
                p["degraded_share"] >= CONCENTRATED_SHARE
                and others is not None
                and p["degraded_share"] >= CONCENTRATED_LIFT * others
            ):
                return p
    return None


def _db(value) -> str:
    return "n/a" if value is None else f"{value:g} dB"


def _hms(when: datetime) -> str:
    return when.strftime("%H:%M:%S")


def _lead(seconds: float) -> str:
    if seconds > 0:
        return f"{seconds:.0f} s before"
    if seconds < 0:
        return f"{-seconds:.0f} s after"
    return "at"
