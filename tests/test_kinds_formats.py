"""The format-traits table and the input-kinds registry: every decision by format reads a trait, every kind is
listed once, and a new kind registers as postmortem.kinds says."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from postmortem import formats, ingest, kinds, webrtc
from postmortem.metrics import read as metric_read
from postmortem.plans import FileResult
from postmortem.sources import LogFile

ROOT = Path(__file__).parent.parent


def test_no_format_name_checks_left_in_the_orchestration():
    # A decision by a format's name (log.format == "csv", format in ("jsonl", ...)) belongs in formats.TABLE.
    by_name = re.compile(r"""\.format\s*(==|!=|in)\s*[("']""")
    for module in ("ingest.py", "staging.py", "cli.py", "sources.py"):
        text = (ROOT / "postmortem" / module).read_text(encoding="utf-8")
        assert not by_name.search(text), (module, by_name.search(text).group(0))


def test_staging_and_ingest_do_not_import_each_other():
    for module, other in (("staging", "ingest"), ("plans", "ingest"), ("plans", "staging")):
        tree = ast.parse((ROOT / "postmortem" / f"{module}.py").read_text(encoding="utf-8"))
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom | ast.Import)
            for alias in node.names
        } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert other not in imported and f"postmortem.{other}" not in imported, module


def test_every_format_row_is_complete():
    for name, traits in formats.TABLE.items():
        assert traits.route in formats.ROUTES, name
        if traits.route == "json":  # its objects, and each line as written for a reject to keep
            query = (ROOT / "queries" / f"{traits.json_lines}.sql").read_text(encoding="utf-8")
            assert " as written" in query, name
        if traits.route == "whole":
            assert traits.kind in kinds.REGISTRY and not kinds.get(traits.kind).staged, name
            assert not traits.user_choice, name
        if traits.sniffed_as:
            assert traits.sniffed_as in formats.SNIFFED, name
    # the kinds' own modules read exactly their rows of the table
    assert webrtc.FORMATS == ("rtcstats", "rtcstats-legacy", "webrtc-internals")
    assert metric_read.FORMATS == formats.of_kind("metric") and len(metric_read.FORMATS) == 5
    # what --format accepts: the line formats, not the whole-file ones (told by content)
    assert formats.CHOICES == ("jsonl", "logfmt", "csv", "text", "directive", "parquet", "otlp", "cloudtrail")


def test_every_kind_is_registered_once_with_what_it_needs():
    assert kinds.names() == ("join", "error", "glitch", "webrtc", "metric")
    assert kinds.staged() == ("join", "error", "glitch")
    for name in kinds.staged():  # staged kinds: their check and append queries
        assert (ROOT / "queries" / "ingest" / f"stage_{name}.sql").is_file()
        assert (ROOT / "queries" / "ingest" / f"insert_{name}.sql").is_file()
        assert kinds.get(name).signature
    for name in ("webrtc", "metric"):
        kind = kinds.get(name)
        assert kind.recognise and kind.refuse and not kind.lake
        assert kind.load or (kind.stage and kind.append and kind.cleanup)  # its own books, or ingest's
    with pytest.raises(ValueError, match="registered twice"):
        kinds.register(kinds.Kind("join", "another join"))


def test_kind_by_signature():
    assert kinds.by_signature(["ts", "Event", "user_id", "space"]) == "join"
    assert kinds.by_signature(["ts", "glitch", "room_id"]) == "glitch"
    assert kinds.by_signature(["time", "severity", "msg"]) == "error"
    assert kinds.by_signature(["ts", "user_id", "space"]) is None  # no event field: not a join log
    with pytest.raises(Exception, match="unknown kind 'audit'; use one of: join, error, glitch, webrtc, metric"):
        kinds.get("audit")


def test_a_new_kind_registers_as_the_docstring_says(con, tmp_path, monkeypatch):
    """A toy read kind, registered with recognise/load/refuse: planning tells it by content before any log format,
    --kind names it, a file it refuses is a one-line error, and loading goes through its load."""
    monkeypatch.setitem(formats.TABLE, "toy", formats.Format("toy", "whole", "a toy line", user_choice=False))
    loaded = []

    def load(con, batch, options):
        loaded.extend(p.log.path.name for p in batch)
        return [FileResult(p.log.path, p.kind, p.log.format, "loaded", loaded=1) for p in batch]

    toy = kinds.Kind(
        "toy",
        "toy dumps",
        recognise=lambda path: LogFile(path, "toy", None) if path.read_bytes().startswith(b"TOY") else None,
        load=load,
        refuse=lambda path: ingest.InputError(f"{path}: not a toy dump"),
    )
    monkeypatch.setitem(kinds.REGISTRY, "toy", toy)
    dump = tmp_path / "a.log"
    dump.write_text("TOY-DUMP v1\n")
    other = tmp_path / "b.jsonl"
    other.write_text('{"ts":"2026-03-14T21:00:00Z","level":"error","message":"m"}\n')
    (planned,) = ingest.plan([dump])
    assert (planned.kind, planned.log.format) == ("toy", "toy")
    with pytest.raises(ingest.InputError, match="not a toy dump"):
        ingest.plan([other], ingest.Options(kind="toy"))
    (plain,) = ingest.plan([other])
    assert plain.kind == "error"
    summary = ingest.ingest(con, [dump, other], derived=False)
    assert loaded == ["a.log"]  # the toy file went through its kind's load, the JSON log through staging
    assert [(f.kind, f.status, f.loaded) for f in summary.files] == [("toy", "loaded", 1), ("error", "loaded", 1)]


def test_read_kinds_register_in_their_own_modules_and_load_lazily():
    # ingest names no read kind: a new one is its module plus a line in kinds.READ_KINDS
    text = (ROOT / "postmortem" / "ingest.py").read_text(encoding="utf-8")
    assert not re.search(r"\bimport webrtc\b|metrics import|kinds\.register\(", text)
    assert kinds.READ_KINDS == {"webrtc": "postmortem.webrtc", "metric": "postmortem.metrics.read"}
    assert kinds.get("webrtc") is webrtc.KIND and kinds.get("metric") is metric_read.KIND
    # importing the registry (the CLI does at start) imports no reader and no DuckDB
    heavy = ("duckdb", "polars", "postmortem.webrtc")
    probe = f"import sys, postmortem.kinds; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert done.stdout.strip() == "[]", done.stderr
