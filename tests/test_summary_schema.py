"""The JSON summary against docs/summary.schema.json: every summary these tests can make validates, carries an
integer schema_version and the notes' content; and the schema is strict enough to refuse a wrong one."""

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import SAMPLE_LOGS, write_lines

from postmortem import db
from postmortem.cli import app
from postmortem.export import SUMMARY_SCHEMA_VERSION
from postmortem.ingest import ingest

ROOT = Path(__file__).parent.parent
SCHEMA = json.loads((ROOT / "docs" / "summary.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
NOTES = """
title = "Relay overload took down the celebrity room"
severity = "SEV-1"
status = "in review"
authors = ["alice", "bob"]
root_cause = "relay-07 ran out of memory under fan-out load."
resolution = "Traffic moved to a new room on healthy relays."
lucky = "The host had a second device."
[anchors]
detected = 2026-03-14T21:14:00Z
resolved = "2026-03-14T22:00:00Z"
[[action_items]]
what = "Alert on glitch share per room"
type = "detect"
owner = "audio-oncall"
due = 2026-04-01
status = "in progress"
bug = "AUD-1234"
[[action_items]]
what = "Cap fan-out per relay"
type = "prevent"
bug = "https://tracker.example.com/issues/77"
[[timeline]]
ts = 2026-03-14T21:15:00Z
text = "Incident declared"
"""


def summary(runner, database: Path, *extra: str) -> dict:
    result = runner.invoke(app, ["report", "--format", "json", "-o", "-", "--db", str(database), *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def errors_of(document: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(document)]


@pytest.fixture(scope="module")
def error_only_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("errors") / "e.duckdb"
    with db.connect(path) as con:
        ingest(con, [SAMPLE_LOGS / "error.csv"])
    return path


@pytest.fixture(scope="module")
def join_only_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("joins")
    log = write_lines(
        folder / "join.jsonl",
        [{"ts": "2026-03-14T21:00:00Z", "space_id": "s1", "user_id": "u1", "event": "join", "role": "listener"}],
    )
    path = folder / "j.duckdb"
    with db.connect(path) as con:
        ingest(con, [log])
    return path


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_sample_summary_validates_with_version_and_empty_notes(runner, sample_db):
    document = summary(runner, sample_db)
    assert errors_of(document) == []
    assert document["schema_version"] == SUMMARY_SCHEMA_VERSION == 1
    assert list(document)[0] == "schema_version"
    assert document["notes"]["given"] is False and document["notes"]["action_items"] == []


def test_summary_with_notes_carries_their_content(runner, sample_db, tmp_path):
    notes = tmp_path / "incident.toml"
    notes.write_text(NOTES)
    document = summary(runner, sample_db, "--notes", str(notes))
    assert errors_of(document) == []
    said = document["notes"]
    assert said["title"] == "Relay overload took down the celebrity room"
    assert (said["severity"], said["status"], said["authors"]) == ("SEV-1", "in review", ["alice", "bob"])
    assert said["root_cause"] == "relay-07 ran out of memory under fan-out load."
    assert said["lucky"] == "The host had a second device."
    assert said["action_items"] == [
        {
            "what": "Alert on glitch share per room",
            "type": "detect",
            "owner": "audio-oncall",
            "due": "2026-04-01",
            "status": "in progress",
            "bug": "AUD-1234",
        },
        {
            "what": "Cap fan-out per relay",
            "type": "prevent",
            "owner": "",
            "due": "",
            "status": "",
            "bug": "https://tracker.example.com/issues/77",
        },
    ]
    assert said["timeline"] == [{"ts": "2026-03-14T21:15:00Z", "text": "Incident declared"}]
    assert said["anchors"] == {"detected": "2026-03-14T21:14:00Z", "resolved": "2026-03-14T22:00:00Z"}
    # the notes' times are the anchors the durations use: 21:14:00 - 21:12:00 onset = 120 s
    assert document["anchors"]["time_to_detect_s"] == 120.0
    assert document["anchors"]["overridden"] == ["detected", "resolved"]


@pytest.mark.parametrize("database", ["error_only_db", "join_only_db"])
def test_partial_logs_summaries_validate(runner, request, database):
    document = summary(runner, request.getfixturevalue(database))
    assert errors_of(document) == []


def test_the_schema_refuses_what_it_should(runner, sample_db):
    document = summary(runner, sample_db)
    wrong_version = {**document, "schema_version": "1"}
    assert any(e.startswith("schema_version") for e in errors_of(wrong_version))
    no_notes = {k: v for k, v in document.items() if k != "notes"}
    assert errors_of(no_notes) == [": 'notes' is a required property"]
    odd_item = {"what": "x", "type": "later", "owner": "", "due": "2026-13", "status": "open", "bug": ""}
    bad_notes = {**document, "notes": {**document["notes"], "action_items": [odd_item]}}
    assert sorted(errors_of(bad_notes)) == [
        "notes/action_items/0/due: '2026-13' does not match '^(\\\\d{4}-\\\\d{2}-\\\\d{2})?$'",
        "notes/action_items/0/type: 'later' is not one of ['prevent', 'mitigate', 'detect', 'process', '']",
    ]
    local_time = {**document, "anchors": {**document["anchors"], "detected": "2026-03-14 21:14:00"}}
    assert [e.split(":")[0] for e in errors_of(local_time)] == ["anchors/detected"]
    # room for the parts other engines add: a new top-level key is allowed (webrtc's own contract is checked in
    # tests/test_webrtc.py)
    assert errors_of({**document, "something_new": 1}) == []
