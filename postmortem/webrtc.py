"""WebRTC statistics dumps as input kind `webrtc`: what the clients themselves measured of the audio.

Three shapes are read, told apart by their first bytes:
  rtcstats          `RTCStatsDump`, a metadata object, then `[method, pcId, value, ..., time delta]` lines
                    (rtcstats/rtcstats file format 3: methods, stats types and stats properties may be numbers
                    from its static tables, times are deltas from the previous line)
  rtcstats-legacy   the jitsi rtcstats-server dumps: the same arrays from the first line, names spelled out,
                    absolute times in ms, `connectionInfo`/`identity` lines carrying the metadata
  webrtc-internals  Chrome's chrome://webrtc-internals export: one JSON object, per-property stats series
Either rtcstats shape delta-compresses `getstats`: a sample lists only what changed since the previous one, so
each stat id's last values are carried forward (as rtcstats' dump importer does; a null id was removed).

Only the stats the audio questions need are kept (audio `inbound-rtp`, `remote-inbound-rtp`, `media-source`,
the nominated `candidate-pair`), one row per stat and sample; the counters become per-sample differences in
SQL (`webrtc/insert_stats`), and the 10-second quality, MOS and measured glitches are computed from them by
`webrtc/derive_quality` for each file as it loads. Python only walks the lines, because expanding the deltas
is a fold over each file in order.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from postmortem import db, formats, kinds, queries, sources
from postmortem.errors import InputError
from postmortem.mapping import Mapping
from postmortem.plans import FilePlan, FileResult, Options
from postmortem.sources import LogFile

FORMATS = formats.of_kind("webrtc")  # rtcstats, rtcstats-legacy, webrtc-internals
RAW_LIMIT = 2000  # characters of a rejected line kept in `rejects`

# rtcstats' static compression tables (packages/rtcstats-shared/compression.js, rtcstats/rtcstats @ 406aeae,
# MIT), only the entries this reader needs: methods, stats types, and the stats properties it keeps.
METHODS = {"g": "getstats", 1: "getstats", 25: "onconnectionstatechange", 24: "oniceconnectionstatechange"}
STATS_TYPES = {1: "inbound-rtp", 3: "remote-inbound-rtp", 6: "candidate-pair", 12: "media-source"}
PROPERTIES = {
    "t": "timestamp",
    "11": "kind",
    "14": "packetsReceived",
    "15": "packetsLost",
    "16": "jitter",
    "47": "jitterBufferDelay",
    "49": "jitterBufferEmittedCount",
    "51": "totalSamplesReceived",
    "52": "concealedSamples",
    "53": "silentConcealedSamples",
    "54": "concealmentEvents",
    "55": "insertedSamplesForDeceleration",
    "56": "removedSamplesForAcceleration",
    "57": "audioLevel",
    "75": "roundTripTime",
    "105": "echoReturnLossEnhancement",
    "150": "nominated",
    "152": "currentRoundTripTime",
}
# stats column -> the W3C webrtc-stats property it holds (a counter's difference is taken in SQL)
COLUMNS = {
    "packets_received": "packetsReceived",
    "packets_lost": "packetsLost",
    "jitter": "jitter",
    "jitter_buffer_delay": "jitterBufferDelay",
    "jitter_buffer_emitted": "jitterBufferEmittedCount",
    "samples_received": "totalSamplesReceived",
    "concealed_samples": "concealedSamples",
    "silent_concealed_samples": "silentConcealedSamples",
    "concealment_events": "concealmentEvents",
    "inserted_samples": "insertedSamplesForDeceleration",
    "removed_samples": "removedSamplesForAcceleration",
    "audio_level": "audioLevel",
    "round_trip_time": "roundTripTime",
    "erle": "echoReturnLossEnhancement",
}
STATE_METHODS = {"onconnectionstatechange": "connection", "oniceconnectionstatechange": "ice"}
# Session fields a dump's metadata may name, and --set may give (what the report groups listeners by).
SESSION_FIELDS = ("space_id", "user_id", "role", "platform", "region", "edge")
_PLATFORMS = (("iphone", "ios"), ("ipad", "ios"), ("android", "android"), ("windows", "windows"))
_PLATFORMS += (("mac os", "macos"), ("cros", "chromeos"), ("linux", "linux"))


@dataclass
class Dump:
    """One file read: the session it describes, its rows, and its lines that could not be read."""

    fmt: str
    session: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)  # the metadata objects read (connectionInfo, identity...), merged
    stats: list[tuple] = field(default_factory=list)  # (pc_id, stat_id, sample, ts, type, kind, *COLUMNS)
    samples: dict[str, list] = field(default_factory=dict)  # pc_id -> [getstats samples, first event, last event]
    states: list[tuple] = field(default_factory=list)  # (pc_id, ts, event, state, line)
    rejects: list[tuple[int, str, str]] = field(default_factory=list)  # (line, reason, raw)
    lines_read: int = 0
    blank: int = 0
    records: int = 0


def recognise(path: Path) -> LogFile | None:
    """The dump's shape by its first bytes, or None. Asked of every file ingest is given, so a plain file is
    opened once (its compression is looked at only where its name or first bytes say it is compressed)."""
    try:
        with open(path, "rb") as f:
            data = f.read(HEAD_PROBE)
    except OSError:
        return None  # said by the reading that follows, in its words
    compression = None
    if data[:2] == b"\x1f\x8b" or data[:4] == b"\x28\xb5\x2f\xfd" or path.suffix.lower() in sources.COMPRESSIONS:
        compression = sources.compression_of(path)
        if compression:
            data = sources.head(path, compression, HEAD_PROBE)
    data = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if data.startswith(b"RTCStatsDump"):
        return LogFile(path, "rtcstats", compression)
    if _LEGACY_EVENT.match(data):
        return LogFile(path, "rtcstats-legacy", compression)
    if data.startswith(b"{") and b'"PeerConnections"' in data:
        return LogFile(path, "webrtc-internals", compression)
    return None


HEAD_PROBE = 4096  # a webrtc-internals export names PeerConnections (after getUserMedia) in its first bytes
# A jitsi rtcstats-server line: ["method", null or "pc id", ... (the value may be long; the time ends it)
_LEGACY_EVENT = re.compile(rb'\[\s*"[A-Za-z][\w.]*"\s*,\s*(?:null|"[^"\n]*")\s*,')


def read(log: LogFile, mapping: Mapping | None = None) -> Dump:
    """Read a whole dump. The session's room, user, edge... come from its metadata; `mapping` may name other
    metadata keys for them (--map edge=deploymentInfo.shard: a dotted path into the metadata objects, parts
    joined by a space) or give them outright (--set)."""
    mapping = mapping or Mapping()
    try:
        with open(log.path, "rb") as raw:
            text = sources._decompressed(raw, log.compression).read().decode("utf-8", errors="replace")
    except sources.READ_ERRORS as err:
        raise InputError(f"{log.name}: cannot read: {err}") from None
    dump = Dump(log.format)
    if log.format == "webrtc-internals":
        _read_internals(dump, text)
    else:
        _read_lines(dump, text.splitlines(), legacy=log.format == "rtcstats-legacy")
    dump.session.setdefault("user_id", log.path.name.split(".")[0])
    for name, alternatives in mapping.fields.items():
        found = [_lookup(dump.meta, part) for part in alternatives[0]] if name in SESSION_FIELDS else [None]
        if all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in found):
            dump.session[name] = " ".join(str(v) for v in found)
    dump.session.update({k: v for k, v in mapping.constants.items() if k in SESSION_FIELDS})
    return dump


def _read_lines(dump: Dump, lines: list[str], *, legacy: bool) -> None:
    base: dict[str | None, dict] = {}
    clock = 0.0
    start = 0
    if not legacy:
        # the `RTCStatsDump` line and the metadata object are read as records too (the session comes from them)
        start = 2
        dump.lines_read = dump.records = min(len(lines), 2)
        meta = _json(lines[1]) if len(lines) > 1 else None
        if isinstance(meta, dict):
            _metadata(dump, meta)
        elif len(lines) > 1:
            dump.records -= 1
            dump.rejects.append((2, "rtcstats metadata line is not a JSON object", lines[1][:RAW_LIMIT]))
    for number, line in enumerate(lines[start:], start + 1):
        dump.lines_read += 1
        if not line.strip():
            dump.blank += 1
            continue
        event = _json(line)
        if not (isinstance(event, list) and len(event) >= 4 and isinstance(event[-1], int | float)):
            dump.rejects.append((number, "not an rtcstats event: [method, pc id, value, time]", line[:RAW_LIMIT]))
            continue
        dump.records += 1
        method, pc, value = METHODS.get(event[0], event[0]), event[1], event[2]
        clock = float(event[-1]) if legacy else clock + float(event[-1])
        if pc is not None:
            _seen(dump, str(pc), clock)
        if method in ("getstats", "getStats"):
            if not isinstance(value, dict):
                dump.rejects.append((number, "getstats value is not an object", line[:RAW_LIMIT]))
                dump.records -= 1
                continue
            _expand(dump, base.setdefault(pc, {}), str(pc), value, clock, legacy)
        elif method in STATE_METHODS and isinstance(value, str):
            dump.states.append((str(pc), _ts(clock), STATE_METHODS[method], value.strip('"'), number))
        elif method in ("connectionInfo", "identity", "create") and isinstance(value, dict) and pc is None:
            _metadata(dump, value)


def _expand(dump: Dump, base: dict, pc: str, delta: dict, clock: float, legacy: bool) -> None:
    """One getstats sample: carry each stat id's previous values forward under what the delta changed, and
    keep a row for each audio stat of interest."""
    counts = _seen(dump, pc, clock)
    sample = counts[0]
    counts[0] += 1
    if not legacy:
        delta = {sid: _decompressed(report) for sid, report in delta.items() if sid != "t"}
    for sid, report in delta.items():
        if report is None:
            base.pop(sid, None)
        elif isinstance(report, dict):
            base[sid] = {**base.get(sid, {}), **report}
    ts = _ts(clock)
    for sid, stat in base.items():
        kind = stat.get("kind") or stat.get("mediaType")
        stype = stat.get("type")
        if stype == "candidate-pair":
            if not stat.get("nominated"):
                continue
            values = [None] * len(COLUMNS)
            values[list(COLUMNS).index("round_trip_time")] = _number(stat.get("currentRoundTripTime"))
        elif stype in ("inbound-rtp", "remote-inbound-rtp", "media-source") and kind == "audio":
            values = [_number(stat.get(prop)) for prop in COLUMNS.values()]
        else:
            continue
        dump.stats.append((pc, sid, sample, ts, stype, kind, *values))


def _seen(dump: Dump, pc: str, clock: float | None) -> list:
    """A peer connection's getstats samples and first and last event times, updated by one event (None: the
    connection is known, with no time yet)."""
    counts = dump.samples.setdefault(pc, [0, None, None])
    if clock is not None:
        t = _ts(clock)
        counts[1] = t if counts[1] is None else min(counts[1], t)
        counts[2] = t if counts[2] is None else max(counts[2], t)
    return counts


def _decompressed(report):
    if not isinstance(report, dict):
        return report
    out = {PROPERTIES.get(k, k): v for k, v in report.items()}
    if "type" in out:
        out["type"] = STATS_TYPES.get(out["type"], out["type"])
    return out


def _read_internals(dump: Dump, text: str) -> None:
    """Chrome's export: per peer connection, `stats` maps `<stat id>-<property>` to a JSON list of values, and
    (since Chrome 117) `<stat id>-timestamp` to each sample's time; a property's values are the last ones of
    its stat's samples (rtcstats' createInternalsTimeSeries aligns them so). Older exports, without per-stat
    times, spread a series evenly between its startTime and endTime. A sample is a time of some stat."""
    data = _json(text)
    dump.lines_read = text.count("\n") + (not text.endswith("\n"))
    if not isinstance(data, dict) or not isinstance(data.get("PeerConnections"), dict):
        dump.rejects.append((1, "webrtc-internals export without PeerConnections", text[:RAW_LIMIT]))
        return
    dump.records = dump.lines_read  # one JSON document: every line of it is read
    if isinstance(data.get("UserAgent"), str):
        _metadata(dump, {"userAgent": data["UserAgent"]})
    for pc, conn in data["PeerConnections"].items():
        if not isinstance(conn, dict):
            continue
        _seen(dump, pc, None)
        stats = conn.get("stats") if isinstance(conn.get("stats"), dict) else {}
        samples: dict[float, dict] = {}
        for key, series in stats.items():
            sid, _, prop = key.rpartition("-")
            values = _json(series.get("values", "null")) if isinstance(series, dict) and sid else None
            if not isinstance(values, list) or prop in ("timestamp", "type", "id"):
                continue
            times = _json(stats.get(f"{sid}-timestamp", {}).get("values", "null"))
            if not isinstance(times, list):
                start, end, n = _epoch_ms(series.get("startTime")), _epoch_ms(series.get("endTime")), len(values)
                if start is None or end is None:
                    continue
                times = [start + (end - start) * i / max(n - 1, 1) for i in range(n)]
            for t, value in zip(times[len(times) - len(values) :], values, strict=False):
                if isinstance(t, int | float):
                    samples.setdefault(float(t), {}).setdefault(sid, {"type": series.get("statsType")})[prop] = value
        base: dict = {}
        for t, snapshot in sorted(samples.items()):
            _seen(dump, pc, t)
            _expand(dump, base, pc, snapshot, t, True)
        for entry in conn.get("updateLog") or []:
            method = entry.get("type") if isinstance(entry, dict) else None
            method = method if method is None or method.startswith("on") else f"on{method}"  # Chrome drops the "on"
            if method in STATE_METHODS and isinstance(entry.get("value"), str):
                t = _epoch_ms(entry.get("time") or entry.get("timestamp"))
                if t is not None:
                    _seen(dump, pc, t)
                    dump.states.append((pc, _ts(t), STATE_METHODS[method], entry["value"].strip('"'), 1))


def _lookup(meta: dict, path: str):
    """A dotted path (`deploymentInfo.shard`) into the dump's metadata objects, merged; None where absent."""
    value = meta
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _metadata(dump: Dump, meta: dict) -> None:
    """The session's room, user, platform, region and edge from a dump's metadata (ours or jitsi's names)."""
    dump.meta.update(meta)
    session = dump.session
    ua = meta.get("userAgent")
    if isinstance(ua, str) and "platform" not in session:
        low = ua.lower()
        session["platform"] = next((name for key, name in _PLATFORMS if key in low), None)
        session["user_agent"] = ua
    deployment = meta.get("deploymentInfo") if isinstance(meta.get("deploymentInfo"), dict) else {}
    found = {
        "space_id": meta.get("space_id") or meta.get("confName") or meta.get("roomId"),
        "user_id": meta.get("user_id") or meta.get("userId") or meta.get("endpointId"),
        "role": meta.get("role"),
        "platform": meta.get("platform"),
        "region": meta.get("region") or deployment.get("userRegion") or deployment.get("region"),
        "edge": meta.get("edge") or deployment.get("shard"),
    }
    session.update({k: str(v) for k, v in found.items() if isinstance(v, str | int) and v != ""})


def _json(text: str):
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # a value nested thousands deep is as unreadable as broken JSON
        return None


def _number(value) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _epoch_ms(value) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000
        except ValueError:
            return None
    return None


def _ts(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


STATS_SCHEMA = {
    "file_no": pl.Int64,
    "pc_id": pl.String,
    "stat_id": pl.String,
    "sample": pl.Int64,
    "ts": pl.Datetime("us", "UTC"),
    "type": pl.String,
    "kind": pl.String,
    **{c: pl.Float64 for c in COLUMNS},
}
STATES_SCHEMA = {
    "file_no": pl.Int64,
    "pc_id": pl.String,
    "ts": pl.Datetime("us", "UTC"),
    "event": pl.String,
    "state": pl.String,
    "line": pl.Int64,
}
CONNECTIONS_SCHEMA = {
    "file_no": pl.Int64,
    "pc_id": pl.String,
    "samples": pl.Int64,
    "first_ts": pl.Datetime("us", "UTC"),
    "last_ts": pl.Datetime("us", "UTC"),
}
SESSIONS_SCHEMA = {"file_no": pl.Int64, "format": pl.String, **{k: pl.String for k in (*SESSION_FIELDS, "user_agent")}}
REJECTS_SCHEMA = {"file_no": pl.Int64, "line": pl.Int64, "reason": pl.String, "raw": pl.String}
# What a batch's append reads, registered under these names while it runs.
STAGED = ("stats", "states", "connections", "sessions", "rejects")


def load(con: duckdb.DuckDBPyConnection, logs: list[LogFile], mapping: Mapping, replace: bool, options_json: str):
    """Read dumps and append them in one transaction, each its own in every table: stats, states, session,
    10-second quality, measured glitches, rejects and `files` row (one statement of each for the batch: a
    dump's own would cost more than its rows). Returns what happened to each, as `FileResult` fields."""
    started = time.perf_counter()
    digests = []
    for log in logs:
        with open(log.path, "rb") as f:
            digests.append(hashlib.file_digest(f, "sha256").hexdigest())
    rows = queries.run(con, "ingest/loaded_file", sha256=digests).to_dicts()
    earlier = {d: [r for r in rows if r["sha256"] == d] for d in digests}
    outcomes: list[dict] = [{} for _ in logs]
    todo, seen = [], set()
    for i, digest in enumerate(digests):
        loaded_before = earlier[digest] and earlier[digest][0]["status"] == "loaded" and not replace
        if loaded_before or digest in seen:  # a second copy in one batch is the first one again
            outcomes[i] = {"status": "already loaded"}
        else:
            todo.append(i)
            seen.add(digest)
    if not todo:
        return outcomes
    dumps = {i: read(logs[i], mapping) for i in todo}
    staged = _frames([dumps[i] for i in todo], [logs[i].format for i in todo])
    with db.transaction(con):
        for i in todo:
            for old in earlier[digests[i]]:
                queries.execute(con, "ingest/forget_file", file_id=old["file_id"])
        file_ids = queries.run(con, "ingest/next_file_ids", files=len(todo)).to_series().to_list()
        for name, frame in staged.items():
            con.register(f"webrtc_staged_{name}", frame)
        try:
            queries.execute_script(con, "webrtc/macros")
            for step in ("insert_stats", "insert_states", "insert_session", "derive_quality", "insert_glitches"):
                queries.execute(con, f"webrtc/{step}", file_ids=file_ids)
            queries.execute(con, "webrtc/insert_rejects", file_ids=file_ids)
        finally:
            for name in staged:
                con.unregister(f"webrtc_staged_{name}")
        seconds = (time.perf_counter() - started) / len(todo)
        for i in todo:
            outcomes[i] = _outcome(dumps[i], seconds, earlier[digests[i]])
        queries.execute(
            con,
            "ingest/record_files",
            file_id=file_ids,
            path=[logs[i].name for i in todo],
            sha256=[digests[i] for i in todo],
            kind="webrtc",
            format=logs[todo[0]].format,  # a batch is of one format (ingest's batch key)
            bytes=[logs[i].bytes for i in todo],
            **{key: [outcomes[i][key] for i in todo] for key in ("lines_read", "blank", "loaded", "rejected")},
            duplicates=[0] * len(todo),
            min_ts=[outcomes[i]["min_ts"] for i in todo],
            max_ts=[outcomes[i]["max_ts"] for i in todo],
            tz="UTC",
            clock_offset_s=0.0,
            seconds=[seconds] * len(todo),
            continued=[0] * len(todo),
            status=[outcomes[i]["status"] for i in todo],
            options=options_json,
        )
    return outcomes


def _frames(dumps: list[Dump], formats: list[str]) -> dict[str, pl.DataFrame]:
    """The batch's rows, each tagged with its dump's position (file_no); a dump whose every line was rejected
    keeps only its rejects."""
    kept = [(n, d) for n, d in enumerate(dumps) if _status(d) == "loaded"]
    return {
        "stats": pl.DataFrame([(n, *r) for n, d in kept for r in d.stats], schema=STATS_SCHEMA, orient="row"),
        "states": pl.DataFrame([(n, *r) for n, d in kept for r in d.states], schema=STATES_SCHEMA, orient="row"),
        "connections": pl.DataFrame(
            [(n, pc, *v) for n, d in kept for pc, v in d.samples.items()], schema=CONNECTIONS_SCHEMA, orient="row"
        ),
        "sessions": pl.DataFrame(
            [(n, formats[n], *(d.session.get(k) for k in (*SESSION_FIELDS, "user_agent"))) for n, d in kept],
            schema=SESSIONS_SCHEMA,
            orient="row",
        ),
        "rejects": pl.DataFrame(
            [(n, *r) for n, d in enumerate(dumps) for r in d.rejects], schema=REJECTS_SCHEMA, orient="row"
        ),
    }


def _status(dump: Dump) -> str:
    return "loaded" if dump.records or not dump.rejects else "rejected"


def _outcome(dump: Dump, seconds: float, earlier: list[dict]) -> dict:
    times = [r[3] for r in dump.stats] + [r[1] for r in dump.states]
    status = _status(dump)
    return {
        "status": status,
        "lines_read": dump.lines_read,
        "blank": dump.blank,
        "loaded": dump.records if status == "loaded" else 0,
        "rejected": len(dump.rejects),
        "min_ts": min(times) if times else None,
        "max_ts": max(times) if times else None,
        "seconds": seconds,
        "top_reasons": _top_reasons(dump),
        "notes": [f"replaced what this file loaded before (file {old['file_id']})" for old in earlier] + _notes(dump),
    }


def _top_reasons(dump: Dump) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for _, reason, _ in dump.rejects:
        counts[reason] = counts.get(reason, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]


def _notes(dump: Dump) -> list[str]:
    if dump.stats and not dump.session.get("space_id"):
        return [
            "no room named in the dump's metadata: its measured glitches stay out of the glitch log"
            " (pass --set space_id=ROOM)"
        ]
    return []


def load_batch(con, batch: list[FilePlan], options: Options) -> list[FileResult]:
    """Dumps planned by ingest (small ones in batches), as its results."""
    logs = [p.log for p in batch]
    loaded = load(con, logs, options.mapping, options.replace, options.recorded())
    return [FileResult(log.path, "webrtc", log.format, **r) for log, r in zip(logs, loaded, strict=True)]


def refuse(path: Path) -> InputError:
    return InputError(f"{path}: not a WebRTC dump (rtcstats, jitsi rtcstats-server or webrtc-internals export)")


KIND = kinds.register(
    kinds.Kind(
        "webrtc",
        "WebRTC statistics dumps (rtcstats, jitsi rtcstats-server, webrtc-internals)",
        recognise=recognise,
        refuse=refuse,
        load=load_batch,
        lake=False,
        noun="a WebRTC dump",
    )
)
