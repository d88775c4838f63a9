"""`simulate --webrtc N`: rtcstats dumps (file format 3) for N sampled listeners of the failed room and its
speakers, with the audio failure planted and its truth returned for `.truth.json`.

Two failures can be planted (`failure`):
  speaker  a feedback loop on one speaker's mic (FEEDBACK_SPEAKER): 10 s before the onset its echo return
           loss enhancement collapses and every listener hears a screech (received level near full scale);
           two minutes later the mixer saturates (loss, concealment, every listener's MOS poor), and at the
           silence the relay dies (the clients conceal with silence).
  edge     the edge in front of the relay fails: only listeners behind BAD_EDGE lose packets from the onset,
           hear silence from the silence and see their connection fail; the speakers' mics stay clean.
Phases change on whole minutes and the clients sample every 5 s, on multiples of 5 s, each sample measuring
the phase at its own time, so each listener-minute lies in one phase and the planted poor and silent
listener-minutes can be counted here exactly (a listener-minute: a minute with a sample after the session's
first, whose counters have a previous value to differ from).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from postmortem import simulate as sim

FEEDBACK_SPEAKER = "u-spk2"
SATURATION = sim.ONSET + 120  # the mixer saturates
SAMPLE_S = 5
SAMPLE_RATE = 48_000
FAILURES = ("speaker", "edge")
USER_AGENTS = {
    "ios": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "android": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/124.0 Mobile Safari/537.36",
    "web": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
}


def pick_listeners(seen: dict[str, tuple[dict, float, float]], count: int) -> list[str]:
    """`count` listeners of the failed room, a quarter of them (at least 3) behind the bad edge when there are
    that many, so the edge question has listeners on both sides."""
    behind = sorted(u for u, (where, _, _) in seen.items() if where["edge"] == sim.BAD_EDGE)
    others = sorted(u for u, (where, _, _) in seen.items() if where["edge"] != sim.BAD_EDGE)
    take = min(len(behind), max(3, count // 4), count)
    return sorted(behind[:take] + others[: count - take])


def write(out: Path, seen: dict[str, tuple[dict, float, float]], count: int, failure: str, seed: int) -> dict:
    """Write the dumps into `out`/webrtc and return the planted truth."""
    rng = random.Random(seed * 1000 + 18)
    folder = out / "webrtc"
    folder.mkdir(exist_ok=True)
    poor = silent = failures = 0
    listeners = pick_listeners(seen, count)
    for user in listeners:
        where, start, stop = seen[user]
        p, s, f = _listener(folder, rng, user, where, start, stop, failure)
        poor, silent, failures = poor + p, silent + s, failures + f
    speakers = [sim.HOST, *sim.SPEAKERS]
    for user in speakers:
        _speaker(folder, rng, user, failure)
    return {
        "failure": failure,
        "listeners": len(listeners),
        "behind_bad_edge": sum(1 for u in listeners if seen[u][0]["edge"] == sim.BAD_EDGE),
        "speakers": len(speakers),
        "feedback_speaker": FEEDBACK_SPEAKER if failure == "speaker" else None,
        "bad_edge": sim.BAD_EDGE if failure == "edge" else None,
        "onset": sim.iso(sim.ONSET),
        "verdict": "speaker" if failure == "speaker" else "network",
        "poor_listener_minutes": poor,
        "silent_listener_minutes": silent,
        "connection_failures": failures,
    }


def _phase(t: float, failure: str, edge: str) -> str:
    if failure == "speaker":
        if sim.ONSET <= t < SATURATION:
            return "screech"
        if SATURATION <= t < sim.SILENCE:
            return "saturated"
    elif edge == sim.BAD_EDGE and sim.ONSET <= t < sim.SILENCE:
        return "saturated"
    if t >= sim.SILENCE and (failure == "speaker" or edge == sim.BAD_EDGE):
        return "silent"
    return "fine"


def _listener(folder: Path, rng, user: str, where: dict, start: float, stop: float, failure: str) -> tuple:
    """One listener's dump; returns its planted (poor minutes, silent minutes, connection failures)."""
    first = (int(start) // SAMPLE_S + 1) * SAMPLE_S
    times = list(range(first, int(min(stop, sim.END)), SAMPLE_S))
    lines = _Lines(user, {**where, "role": "listener"}, times[0] if times else int(start))
    lines.event(25, "connecting", times[0] - 2 if times else start)
    lines.event(25, "connected", times[0] - 1 if times else start)
    totals = dict.fromkeys(("51", "52", "53", "55", "56", "14", "15", "47", "49"), 0.0)
    poor_minutes, silent_minutes, failed = set(), set(), 0
    edge_failed = failure == "edge" and where["edge"] == sim.BAD_EDGE
    for i, t in enumerate(times):
        phase = _phase(t, failure, where["edge"])
        if edge_failed and not failed and t >= sim.SILENCE + 20:
            lines.event(24, "disconnected", t - 1)
            lines.event(25, "failed", t - 0.5)
            failed = 1
        samples = SAMPLE_RATE * SAMPLE_S
        packets = 50 * SAMPLE_S
        concealed, silence, lost, level = (
            samples * rng.uniform(0, 0.004),
            0.0,
            rng.randint(0, 1),
            rng.uniform(0.05, 0.3),
        )
        jitter, buffer = rng.uniform(0.005, 0.015), rng.uniform(0.04, 0.07)
        if phase == "screech":
            level = rng.uniform(0.93, 1.0)
        elif phase == "saturated":
            # MOS 2.3-2.9: poor, not silent
            concealed, lost, level = samples * rng.uniform(0.12, 0.18), int(packets * rng.uniform(0.1, 0.15)), 0.5
            jitter, buffer = rng.uniform(0.04, 0.08), rng.uniform(0.08, 0.1)
        elif phase == "silent":
            concealed, lost, level = samples * rng.uniform(0.97, 1.0), packets, 0.0
            silence = concealed * rng.uniform(0.9, 0.98)
        totals["51"] += samples
        totals["52"] += round(concealed)
        totals["53"] += round(silence)
        totals["14"] += packets - lost
        totals["15"] += lost
        totals["49"] += round(samples - concealed)  # samples the jitter buffer emitted...
        totals["47"] += buffer * round(samples - concealed)  # ...and the seconds each was held, summed
        report = {k: round(v, 4) for k, v in totals.items()}
        report.update({"16": round(jitter, 4), "57": round(level, 4)})
        rtt = {"152": round(rng.uniform(0.03, 0.09), 3)}
        lines.stats(t, {"IA": {"type": 1, "11": "audio", **report}, "CP": {"type": 6, "150": True, **rtt}})
        if i > 0:  # the first sample has no previous values: it starts no listener-minute
            minute = t // 60
            if phase in ("saturated", "silent"):
                poor_minutes.add(minute)
            if phase == "silent":
                silent_minutes.add(minute)
    lines.write(folder / f"{user}.rtcstats")
    return len(poor_minutes), len(silent_minutes), failed


def _speaker(folder: Path, rng, user: str, failure: str) -> None:
    """A speaker's dump: the microphone source's level and echo return loss enhancement."""
    role = "host" if user == sim.HOST else sim.SPEAKERS[user]
    where = {"platform": "ios", "region": "us-east-1", "edge": "edge-us-east-1-a", "role": role}
    times = list(range(sim.T0 + 60, sim.END, SAMPLE_S))
    lines = _Lines(user, where, times[0])
    lines.event(25, "connected", times[0] - 1)
    baseline = rng.uniform(25, 35)
    for t in times:
        looped = failure == "speaker" and user == FEEDBACK_SPEAKER and t >= sim.ONSET - 10
        erle = rng.uniform(0.5, 3) if looped else baseline + rng.uniform(-2, 2)
        level = rng.uniform(0.9, 1.0) if looped else rng.uniform(0.1, 0.5)
        lines.stats(t, {"MS": {"type": 12, "11": "audio", "57": round(level, 4), "105": round(erle, 2)}})
    lines.write(folder / f"{user}.rtcstats")


class _Lines:
    """An rtcstats dump being written: compressed method ids, time deltas, delta-compressed getStats."""

    def __init__(self, user: str, where: dict, started: float):
        meta = {"fileFormat": 3, "userAgent": USER_AGENTS.get(where.get("platform"), USER_AGENTS["web"])}
        self.lines = ["RTCStatsDump", json.dumps({**meta, "space_id": sim.MAIN, "user_id": user, **where})]
        self.clock = 0
        self.previous: dict = {}
        self.events: list[tuple[float, list]] = []
        self.started = started

    def event(self, method: int, value: str, t: float) -> None:
        self.events.append((t, [method, "pc1", value]))

    def stats(self, t: float, report: dict) -> None:
        delta = {}
        for sid, values in report.items():
            before = self.previous.get(sid, {})
            changed = {k: v for k, v in values.items() if before.get(k) != v}
            if changed or sid not in self.previous:
                delta[sid] = changed
            self.previous[sid] = values
        self.events.append((t, ["g", "pc1", {**delta, "t": t * 1000}]))

    def write(self, path: Path) -> None:
        for t, event in sorted(self.events, key=lambda e: e[0]):
            ms = round(t * 1000)
            self.lines.append(json.dumps([*event, ms - self.clock], separators=(",", ":")))
            self.clock = ms
        path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")
