"""The simulated incident as a dashboard would have shown it: `metrics.json`, a Prometheus `query_range` export
beside the logs (`postmortem simulate --metrics`), with three planted series and their truth.

- leading: relay-07's CPU steps from ~35% to ~92% six minutes before the audio degrades (the overload building
  up), and falls to near nothing when the relay dies;
- lagging: relay-07's active streams drop from ~1,800 to ~40 when the relay dies, five minutes after the onset;
- steady counter: auth requests at ~50/s throughout, with a counter reset (a process restart) two minutes after
  the onset that a rate must not mistake for a change.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from postmortem.simulate import END, ONSET, SILENCE, T0, iso

STEP = 15  # seconds between points, as a typical scrape interval
START, STOP = T0 - 60 * 60, END + 30 * 60
LEAD = 6 * 60  # the leading series moves this long before the onset
RESET_AT = ONSET + 2 * 60

LEADING = {"__name__": "node_cpu_utilisation", "instance": "relay-07", "job": "node"}
LAGGING = {"__name__": "relay_active_streams", "instance": "relay-07", "job": "relay"}
STEADY = {"__name__": "http_requests_total", "instance": "auth-1", "job": "auth"}


def write_metrics(out: Path, seed: int) -> dict:
    """Write `out/metrics.json`; returns the truth about its series."""
    rng = random.Random(seed + 1)  # its own stream: the logs stay byte for byte as without --metrics
    times = range(START, STOP + 1, STEP)
    cpu, streams, requests = [], [], []
    total = 0.0
    for t in times:
        if t < ONSET - LEAD:
            level = 0.35
        elif t < SILENCE:
            level = 0.92
        else:
            level = 0.03
        cpu.append([t, f"{level + rng.uniform(-0.02, 0.02):.4f}"])
        streams.append([t, str(round((1800 if t < SILENCE else 40) + rng.uniform(-30, 30)))])
        if t == RESET_AT:
            total = 0.0  # the process restarted: the counter begins again
        total += 50 * STEP + rng.uniform(-45, 45)
        requests.append([t, f"{total:.0f}"])
    result = [
        {"metric": LEADING, "values": cpu},
        {"metric": LAGGING, "values": streams},
        {"metric": STEADY, "values": requests},
    ]
    doc = {"status": "success", "data": {"resultType": "matrix", "result": result}}
    (out / "metrics.json").write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")

    def series(labels: dict, **more) -> dict:
        return {"name": labels["__name__"], "labels": {k: v for k, v in labels.items() if k != "__name__"}, **more}

    return {
        "file": "metrics.json",
        "points": 3 * len(times),
        "leading": series(LEADING, moves_at=iso(ONSET - LEAD), direction="up"),
        "lagging": series(LAGGING, moves_at=iso(SILENCE), direction="down"),
        "steady_counter": series(STEADY, reset_at=iso(RESET_AT)),
    }
