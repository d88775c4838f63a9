"""The report's WebRTC audio part as data (templates `_webrtc.html`, `_webrtc.md`): the verdict card, the
measured figures, listener-minutes by edge, region and platform, and what the dumps cannot answer with the
logs loaded. A pure function of the facts and the clock, like `report.build_context`; None without dumps, so
a report of a database without any is unchanged.
"""

from __future__ import annotations

from postmortem.human_times import Clock

HEADLINES = {
    "speaker": "Speaker: one microphone fed back",
    "network": "Network: the distribution failed",
    "unclear": "Unclear: neither a speaker nor the network explains it",
}


def context(facts: dict, clock: Clock) -> dict | None:
    audio = facts.get("webrtc")
    if not audio:
        return None
    verdict = audio["verdict"]
    rows = facts["evidence"].get("webrtc", {})
    headline = HEADLINES[verdict["kind"]]
    if verdict["kind"] == "speaker":
        headline = f"Speaker: {verdict['speaker']}'s microphone fed back"
    return {
        "verdict": {
            "kind": verdict["kind"],
            "headline": headline,
            "strength": verdict.get("strength") or "",
            "evidence": verdict["evidence"],
        },
        "figures": [
            {"label": "dump files", "display": f"{audio['files']:,}"},
            {"label": "listening sessions", "display": f"{audio['listeners']:,}"},
            {"label": "speakers' mics", "display": f"{audio['speakers']:,}"},
            {"label": "audio onset (measured)", "display": clock(audio["onset"]) if audio["onset"] else "none"},
            {"label": "listener-minutes", "display": f"{audio['listener_minutes']:,}"},
            {"label": "poor listener-minutes (MOS < 3.1)", "display": _part(audio, "poor_listener_minutes")},
            {"label": "silent listener-minutes", "display": _part(audio, "silent_listener_minutes")},
            {"label": "connection failures", "display": f"{audio['connection_failures']:,}"},
            {"label": "peer connections · getstats samples", "display": _pair(audio)},
        ],
        "breakdown": [
            {
                **r,
                "listeners": f"{r['listeners']:,}",
                "listener_minutes": f"{r['listener_minutes']:,}",
                "poor": f"{r['poor']:,}",
                "silent": f"{r['silent']:,}",
                "degraded_share": f"{r['degraded_share']:.0%}",
            }
            for r in rows.get("breakdown", [])
        ],
        "cannot_answer": cannot_answer(audio, facts["missing"]),
    }


def sentence(facts: dict, clock: Clock) -> str:
    """One sentence for the executive summary: what the clients measured and the verdict."""
    audio = facts["webrtc"]
    verdict = audio["verdict"]
    measured = f"The clients' own statistics ({audio['files']:,} WebRTC dumps)"
    if audio["onset"] is None:
        return f"{measured} show no sustained degradation of the listeners' audio."
    said = {
        "speaker": f"a speaker: {verdict['speaker']}'s microphone fed back",
        "network": "the network: the degradation sat on one edge or region",
        "unclear": "neither a speaker nor the network clearly",
    }[verdict["kind"]]
    return (
        f"{measured} show the listeners' audio degrading from {clock(audio['onset'])} "
        f"({audio['poor_listener_minutes']:,} of {audio['listener_minutes']:,} listener-minutes poor, "
        f"{audio['silent_listener_minutes']:,} silent) and point to {said}."
    )


def cannot_answer(audio: dict, missing: list[str]) -> list[str]:
    """What the dumps leave open, given what else was loaded."""
    out = []
    if audio["listeners"] == 0:
        out.append("what listeners heard: no dump played received audio")
    if audio["speakers"] == 0:
        out.append("whether a speaker's microphone fed back: no speaker's dump reports echo return loss")
    if "join" in missing:
        out.append(
            "how many of the room's listeners these are: the listener-minutes count the dumps loaded (a sample), "
            "and no mic events corroborate a speaker"
        )
    if "error" in missing:
        out.append("which service failed behind the network: no error log was loaded")
    return out


def _part(audio: dict, key: str) -> str:
    total = audio["listener_minutes"]
    share = f" ({audio[key] / total:.0%})" if total else ""
    return f"{audio[key]:,}{share}"


def _pair(audio: dict) -> str:
    return f"{audio['peer_connections']:,} · {audio['stats_samples']:,}"
