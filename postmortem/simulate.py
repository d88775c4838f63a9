"""A deterministic simulation of the incident, in the three logs, with the truth written beside them.

The story: a celebrity host's room draws `listeners`; twelve minutes in, an overloaded audio relay
(relay-07, behind one EU edge) makes listeners hear screeching, then silence; speakers drop and toggle
mics, clients reconnect in storms, errors climb in the relay, the fan-out service and the edge; the host
ends the room ~21 minutes in. Another host starts a replacement room 4.5 minutes later with some of the
speakers, much of the audience follows and new listeners pour in (4.3x the first room's audience). A
decoy room starts right after the failure with no shared speaker, and unrelated rooms run alongside.

Logs are written grouped by client session (as a shipper flushing per connection would), so lines are
out of time order. A few malformed lines and redelivered duplicates are planted on purpose; `.truth.json`
records what the simulator did so tests can compare the analysis against it.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from postmortem.choices import WebrtcFailure
from postmortem.errors import InputError

T0 = int(datetime(2026, 3, 14, 21, 0, tzinfo=UTC).timestamp())  # the celebrity room starts
ONSET = T0 + 12 * 60  # the relay overloads: screech
SILENCE = ONSET + 5 * 60  # the relay dies: silence
END = T0 + 21 * 60  # the host ends the room
GAP = 270  # seconds until the replacement room starts
RESCUE_START = END + GAP
RESCUE_END = RESCUE_START + 75 * 60
REPLACEMENT_MULTIPLE = 4.3  # 2.6M in the replacement vs ~600k in the failed room
FOLLOW_SHARE = 0.62

MAIN, RESCUE, DECOY = "sp-main", "sp-rescue", "sp-decoy"
OTHERS = ("sp-music", "sp-news", "sp-sports")
HOST, HOST2 = "u-host", "u-host2"
SPEAKERS = {
    "u-cohost": "cohost",
    "u-spk1": "speaker",
    "u-spk2": "speaker",
    "u-spk3": "speaker",
    "u-spk4": "speaker",
}
MOVED = {
    "u-cohost": "cohost",
    "u-spk1": "speaker",
    "u-spk2": "speaker",
}  # speak again in the replacement
PLATFORMS = (("ios", 0.45), ("android", 0.4), ("web", 0.15))
REGIONS = (
    ("us-east-1", 0.35),
    ("us-west-2", 0.2),
    ("eu-west-1", 0.25),
    ("ap-south-1", 0.12),
    ("sa-east-1", 0.08),
)
BAD_EDGE = "edge-eu-west-1-b"  # the edge in front of relay-07
BASELINE_GLITCHES = ("jitter", "dropout", "echo")


@dataclass
class Truth:
    incident_space: str = MAIN
    onset: str = ""
    silence: str = ""
    ended_at: str = ""
    replacement_space: str = RESCUE
    replacement_started_at: str = ""
    gap_seconds: float = GAP
    speakers_moved: list | None = None
    decoy_space: str = DECOY
    from_unique_listeners: int = 0
    listeners_followed: int = 0
    planted_rejects: dict | None = None
    planted_duplicates: dict | None = None


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Writer:
    """Writes the three logs and plants the bad lines and redeliveries."""

    def __init__(self, out: Path, rng: random.Random):
        self.rng = rng
        self.join = open(out / "join.jsonl", "w", encoding="utf-8")
        self.glitch = gzip.open(out / "glitch.jsonl.gz", "wt", encoding="utf-8", compresslevel=1)
        self.error_file = open(out / "error.csv", "w", encoding="utf-8", newline="")
        self.error = csv.writer(self.error_file)
        self.error.writerow(["timestamp", "service", "severity", "message", "code", "space_id", "server"])
        self.duplicates = {"join": 0, "error": 0, "glitch": 0}
        self.rejects = {"join": 0, "error": 0, "glitch": 0}

    def _line(self, kind: str, stream, text: str) -> None:
        stream.write(text)
        if self.rng.random() < 0.002:  # at-least-once delivery
            stream.write(text)
            self.duplicates[kind] += 1

    def room(self, t, space, user, event, role="listener", where=None):
        rec = {"ts": iso(t), "space_id": space, "user_id": user, "event": event, "role": role}
        if where:
            rec.update(where)
        self._line("join", self.join, json.dumps(rec, separators=(",", ":")) + "\n")

    def report(self, t, space, user, glitch, where, loss, jitter):
        rec = {
            "ts": int(t * 1000),
            "space_id": space,
            "user_id": user,
            "glitch": glitch,
            "duration_ms": self.rng.randint(200, 4000),
            "packet_loss": round(loss, 3),
            "jitter_ms": round(jitter, 1),
            **where,
        }
        self._line("glitch", self.glitch, json.dumps(rec, separators=(",", ":")) + "\n")

    def log_error(self, t, service, level, message, code="", space="", server=""):
        row = [
            datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds"),
            service,
            level,
            message,
            code,
            space,
            server,
        ]
        self.error.writerow(row)
        if self.rng.random() < 0.002:
            self.error.writerow(row)
            self.duplicates["error"] += 1

    def plant_bad_lines(self, count: int) -> None:
        """Truncated JSON, a missing field, a bad timestamp, a short CSV row: the shapes real logs have."""
        for i in range(count):
            self.join.write('{"ts":"2026-03-14T21:05:00Z","space_id":"sp-main","user_id":"L\n')
            self.join.write(
                json.dumps({"ts": "not-a-time", "space_id": MAIN, "user_id": f"x{i}", "event": "join"}) + "\n"
            )
            self.glitch.write(
                json.dumps(
                    {
                        "ts": T0 * 1000,
                        "space_id": MAIN,
                        "user_id": f"x{i}",
                        "glitch": "echo",
                        "packet_loss": "n/a",
                    }
                )
                + "\n"
            )
            self.error.writerow([iso(T0), "chat", "info"])
        self.rejects = {"join": 2 * count, "glitch": count, "error": count}

    def close(self) -> None:
        for f in (self.join, self.glitch, self.error_file):
            f.close()


def _pick(rng: random.Random, weighted) -> str:
    x, acc = rng.random(), 0.0
    for value, weight in weighted:
        acc += weight
        if x < acc:
            return value
    return weighted[-1][0]


def _where(rng: random.Random) -> dict:
    region = _pick(rng, REGIONS)
    edge = f"edge-{region}-{rng.choice('abc')}"
    return {"platform": _pick(rng, PLATFORMS), "region": region, "edge": edge}


def _glitch_rate(space: str, t: float, edge: str) -> tuple[float, str]:
    """Reports per listener-minute and the dominant kind, by room and moment."""
    if space == MAIN and ONSET <= t < SILENCE:
        return (4.0 if edge == BAD_EDGE else 1.2), "screech"
    if space == MAIN and t >= SILENCE:
        return (3.0 if edge == BAD_EDGE else 1.0), "silence"
    if space == RESCUE and t < RESCUE_START + 180:
        return 0.08, ""  # recovering: clients re-negotiating codecs
    return 0.01, ""


def _listener(
    w: Writer,
    rng: random.Random,
    space: str,
    user: str,
    start: float,
    stop: float,
    end: float,
    storm: bool,
    seen: dict | None = None,
) -> list[tuple[float, float]]:
    """One listener's session in a room: events and glitch reports; returns the intervals present. `seen`
    collects who was where and when (the listeners `--webrtc` may write dumps for)."""
    where = _where(rng)
    if seen is not None:
        seen[user] = (where, start, min(stop, end))
    w.room(start, space, user, "join", "listener", where)
    intervals, t = [], start
    if storm and stop > ONSET and start < ONSET + 60:
        # A reconnect storm: clients rejoin, mostly without a leave in between.
        for _ in range(rng.choice((1, 1, 2, 3, 4))):
            lo, hi = max(t, ONSET), min(stop, SILENCE + 60)
            if lo >= hi:
                break
            t2 = rng.uniform(lo, hi)
            if rng.random() < 0.3:
                w.room(t2 - rng.uniform(0.5, 3), space, user, "leave", "listener", where)
            w.room(t2, space, user, "join", "listener", where)
            t = t2
    if stop < end:
        w.room(stop, space, user, "leave", "listener", where)
    elif rng.random() < 0.4:
        w.room(end, space, user, "leave", "listener", where)  # clients that heard "room ended"
    # else: the leave was never sent (app killed, network gone)
    intervals.append((start, min(stop, end)))
    minute = start
    while minute < min(stop, end):
        rate, kind = _glitch_rate(space, minute, where["edge"])
        reports = rate if rate >= 1 else (1 if rng.random() < rate else 0)
        for _ in range(int(reports) + (rng.random() < reports - int(reports))):
            ts = minute + rng.uniform(0, 60)
            if ts < min(stop, end):
                bad = kind != ""
                w.report(
                    ts,
                    space,
                    user,
                    kind or rng.choice(BASELINE_GLITCHES),
                    where,
                    rng.uniform(0.2, 0.9) if bad else rng.uniform(0, 0.05),
                    rng.uniform(80, 400) if bad else rng.uniform(5, 40),
                )
        minute += 60
    return intervals


def simulate(
    out_dir: str | Path,
    listeners: int = 2000,
    seed: int = 7,
    *,
    force: bool = False,
    webrtc: int = 0,
    webrtc_failure: WebrtcFailure | str = WebrtcFailure.speaker,
    metrics: bool = False,
) -> Truth:
    """Write join.jsonl, error.csv, glitch.jsonl.gz and .truth.json into `out_dir`, which must be empty or
    new unless `force` (a simulation once overwrote a folder of real logs). `webrtc`: also write rtcstats dumps
    for that many listeners and the speakers, with `webrtc_failure` planted (postmortem.simulate_webrtc).
    `metrics`: also metrics.json, a Prometheus export (postmortem/metrics/simulate.py)."""
    if webrtc_failure not in WebrtcFailure.__members__:
        raise InputError(f"unknown --webrtc-failure {webrtc_failure!r}; use {' or '.join(WebrtcFailure)}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise InputError(f"{out} is not empty; pass --force to write the simulation into it anyway")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create {out}: {err.strerror or err}") from None
    rng = random.Random(seed)
    w = Writer(out, rng)
    truth = Truth(
        onset=iso(ONSET),
        silence=iso(SILENCE),
        ended_at=iso(END),
        replacement_started_at=iso(RESCUE_START),
        speakers_moved=sorted(MOVED),
    )

    # The failed room: host, speakers popping in and out, mics toggling once the audio goes bad.
    w.room(T0, MAIN, HOST, "start", "host")
    w.room(T0 + 1, MAIN, HOST, "join", "host")
    w.room(T0 + 2, MAIN, HOST, "mic_on", "host")
    for i, (user, role) in enumerate(SPEAKERS.items()):
        t = T0 + 30 + 20 * i
        w.room(t, MAIN, user, "join", role)
        w.room(t + 5, MAIN, user, "mic_on", role)
        if user in ("u-spk3", "u-spk4"):
            for k in range(3):  # in and out during the storm
                base = ONSET + 40 + 90 * k + 10 * i
                w.room(base, MAIN, user, "mic_off", role)
                w.room(base + 8, MAIN, user, "leave", role)
                w.room(base + 30, MAIN, user, "join", role)
                w.room(base + 35, MAIN, user, "mic_on", role)
    for k in range(4):
        w.room(ONSET + 100 + 120 * k, MAIN, HOST, "mic_off", "host")
        w.room(ONSET + 115 + 120 * k, MAIN, HOST, "mic_on", "host")
    w.room(END, MAIN, HOST, "end", "host")

    # Errors: background noise everywhere, then the relay, the fan-out service and the edge fail.
    for t in range(T0 - 600, RESCUE_END, 20):
        service = rng.choice(("auth", "chat", "fanout", "audio-relay", "edge-gateway"))
        w.log_error(
            t + rng.uniform(0, 20),
            service,
            rng.choice(("info", "info", "warning")),
            "routine",
            space=rng.choice(("", *OTHERS)),
        )
    first_relay_error = ONSET + 45
    for t in range(first_relay_error, END, 2):
        w.log_error(
            t + rng.uniform(0, 2),
            "audio-relay",
            "error",
            "relay overloaded: dropping frames",
            "RELAY_OVERLOAD",
            MAIN,
            "relay-07",
        )
    for t in range(ONSET + 120, END + 60, 3):
        w.log_error(
            t + rng.uniform(0, 3),
            "fanout",
            "err",
            "fan-out timeout to relay-07",
            "FANOUT_TIMEOUT",
            MAIN,
            f"fanout-{rng.randint(1, 4)}",
        )
    for t in range(ONSET + 180, END, 5):
        w.log_error(
            t + rng.uniform(0, 5),
            "edge-gateway",
            "error",
            "upstream 502 from relay-07",
            "EDGE_502",
            MAIN,
            BAD_EDGE,
        )
    w.log_error(
        SILENCE + 2,
        "audio-relay",
        "critical",
        "relay-07 crashed: out of memory",
        "RELAY_OOM",
        MAIN,
        "relay-07",
    )

    # The replacement room: another host, three of the speakers move over.
    w.room(RESCUE_START, RESCUE, HOST2, "start", "host")
    w.room(RESCUE_START + 1, RESCUE, HOST2, "join", "host")
    for i, (user, role) in enumerate(MOVED.items()):
        w.room(RESCUE_START + 40 + 15 * i, RESCUE, user, "join", role)
    w.room(RESCUE_END, RESCUE, HOST2, "end", "host")

    # The decoy: starts right after the failure, shares listeners but no speaker.
    w.room(END + 60, DECOY, "u-decoyhost", "start", "host")
    w.room(END + 61, DECOY, "u-decoyhost", "join", "host")
    w.room(END + 60 * 50, DECOY, "u-decoyhost", "end", "host")

    followed = 0
    seen: dict | None = {} if webrtc else None
    for i in range(listeners):
        user = f"L{i:07d}"
        start = T0 + 5 + rng.betavariate(1.3, 3.0) * (ONSET + 240 - T0)
        if rng.random() < 0.12:
            stop = rng.uniform(start, END)  # left on their own
        elif start < SILENCE and rng.random() < 0.25:
            stop = rng.uniform(max(start, ONSET), END)  # gave up on the noise
        else:
            stop = END
        _listener(w, rng, MAIN, user, start, stop, END, storm=rng.random() < 0.3, seen=seen)
        if rng.random() < FOLLOW_SHARE:
            followed += 1
            arrive = RESCUE_START + min(rng.expovariate(1 / 150), 55 * 60)
            _listener(w, rng, RESCUE, user, arrive, RESCUE_END, RESCUE_END, storm=False)
        elif rng.random() < 0.05:
            arrive = END + 60 + rng.uniform(0, 600)
            _listener(w, rng, DECOY, user, arrive, END + 60 * 50, END + 60 * 50, storm=False)

    for i in range(int(listeners * (REPLACEMENT_MULTIPLE - FOLLOW_SHARE))):
        arrive = RESCUE_START + rng.betavariate(1.5, 4.0) * (RESCUE_END - RESCUE_START)
        leave = arrive + rng.expovariate(1 / 1500)
        _listener(w, rng, RESCUE, f"R{i:07d}", arrive, leave, RESCUE_END, storm=False)

    for n, space in enumerate(OTHERS):
        start = T0 - 600 + 300 * n
        stop = start + 100 * 60
        w.room(start, space, f"u-{space}-host", "start", "host")
        w.room(start + 1, space, f"u-{space}-host", "join", "host")
        for i in range(max(20, listeners // 20)):
            arrive = start + rng.uniform(0, 60 * 60)
            _listener(
                w,
                rng,
                space,
                f"O{n}{i:06d}",
                arrive,
                arrive + rng.expovariate(1 / 1200),
                stop,
                False,
            )
        w.room(stop, space, f"u-{space}-host", "end", "host")

    w.plant_bad_lines(max(1, listeners // 1000))
    w.close()
    truth.from_unique_listeners = listeners
    truth.listeners_followed = followed
    truth.planted_rejects = w.rejects
    truth.planted_duplicates = w.duplicates
    written = dict(truth.__dict__)
    if webrtc:
        from postmortem import simulate_webrtc

        written["webrtc"] = simulate_webrtc.write(out, seen, webrtc, webrtc_failure, seed)
    if metrics:
        from postmortem.metrics.simulate import write_metrics  # it reads this module's story times

        written["metrics"] = write_metrics(out, seed)
    (out / ".truth.json").write_text(json.dumps(written, indent=2) + "\n", encoding="utf-8")
    return truth
