"""`query`, `sql` and `timeline` as an SRE uses them: typos and inverted ranges refused with a suggestion,
filters that match nothing saying so, times relative to the incident, the incident inside `sql`, whole help."""

import json

import pytest

from postmortem.choices import schema_names
from postmortem.cli import app


def run(runner, *args):
    return runner.invoke(app, [str(a) for a in args])


def test_unknown_parameter_is_refused_with_the_closest(runner, sample_db):
    result = run(runner, "query", "blast_radius", "-p", "strt=2026-03-14T21:00:00Z", "--db", sample_db)
    assert result.exit_code == 1
    assert result.output == (
        "error: query 'blast_radius' has no parameter 'strt'; did you mean start? "
        "(its parameters: space_id, end, start)\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("query", "affected", "--since", "onset+5m", "--until", "onset"),
            "error: --since onset+5m (2026-03-14T21:17:00Z) is after --until onset (2026-03-14T21:12:00Z); "
            "did you mean --since onset --until onset+5m?\n",
        ),
        (
            ("timeline", "--since", "2026-03-14T21:30:00Z", "--until", "2026-03-14T21:00:00Z"),
            "error: --since 2026-03-14T21:30:00Z (2026-03-14T21:30:00Z) is after --until 2026-03-14T21:00:00Z "
            "(2026-03-14T21:00:00Z); did you mean --since 2026-03-14T21:00:00Z --until 2026-03-14T21:30:00Z?\n",
        ),
        (
            ("timeline", "--since", "onste-5m"),
            "error: --since: 'onste-5m' is neither an ISO-8601 time (2026-03-14T21:10:00Z) nor relative to the "
            "incident (onset, detected, mitigated, resolved, e.g. onset-5m); did you mean onset?\n",
        ),
        (
            ("query", "spaces", "--since", "onset"),
            "error: query 'spaces' takes no time window ($start, $end): --since/--until do not apply\n",
        ),
    ],
)
def test_inverted_ranges_and_bad_times_are_one_line(runner, sample_db, args, message):
    result = run(runner, *args, "--db", sample_db)
    assert result.exit_code == 1
    assert result.output == message


def test_query_window_relative_to_the_onset(runner, sample_db):
    # the sample's onset is 21:12:00 (see the summary's anchors); onset-2m..onset+3m = 21:10:00..21:15:00
    relative = run(
        runner,
        *("query", "window_counts", "--since", "onset-2m", "--until", "onset+3m", "--format", "json"),
        *("--db", sample_db),
    )
    absolute = run(
        runner,
        *("query", "window_counts", "-p", "start=2026-03-14T21:10:00Z", "-p", "end=2026-03-14T21:15:00Z"),
        *("--format", "json", "--db", sample_db),
    )
    assert relative.exit_code == 0, relative.output
    assert json.loads(relative.stdout) == json.loads(absolute.stdout)


def test_timeline_filters_that_match_nothing_say_why(runner, sample_db):
    kind = run(runner, "timeline", "--kind", "mic", "--db", sample_db)
    assert kind.exit_code == 0
    assert "no key events of kind mic (a kind matches by its start); did you mean 'speaker mic off' or " in (
        " ".join(kind.output.split())
    )
    assert "no incident room" not in kind.output
    early = run(runner, "timeline", "--until", "2020-01-02T00:00:00Z", "--db", sample_db)
    assert "no key events between the start and 2020-01-02T00:00:00Z; the " in " ".join(early.output.split())


def test_timeline_carries_the_notes_times(runner, sample_db, tmp_path):
    notes = tmp_path / "n.toml"
    notes.write_text(
        '[anchors]\ndetected = 2026-03-14T21:14:00Z\n[[timeline]]\nts = 2026-03-14T21:15:00Z\ntext = "Declared"\n'
    )
    result = run(runner, "timeline", "--kind", "note", "--notes", notes, "--format", "json", "--db", sample_db)
    assert result.exit_code == 0, result.output
    events = json.loads(result.stdout)["events"]
    assert [(e["ts"], e["kind"], e["detail"], e["source"]) for e in events] == [
        ("2026-03-14T21:14:00Z", "note: detected", "time given in the notes", "notes"),
        ("2026-03-14T21:15:00Z", "note", "Declared", "notes"),
    ]
    sketch = run(runner, "timeline", "--kind", "note", "--notes", notes, "--format", "timesketch", "--db", sample_db)
    lines = [json.loads(line) for line in sketch.stdout.splitlines()]
    assert [(x["datetime"], x["message"]) for x in lines] == [
        ("2026-03-14T21:14:00Z", "note: detected time given in the notes"),
        ("2026-03-14T21:15:00Z", "note Declared"),
    ]


def test_query_list_is_whole_and_shows_the_values_parameters_take(runner, sample_db):
    result = run(runner, "query", "--list", "--format", "json", "--db", sample_db)
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    # the whole header, not a phrase cut at its first colon
    assert rows["blast_radius"]["answers"].endswith("A user's dimensions are those of their latest join.")
    # the impact window the report states: onset (the truth's 21:12:00) to the resolution its summary gives
    anchors = json.loads(run(runner, "report", "--format", "json", "-o", "-", "--db", sample_db).stdout)["anchors"]
    assert anchors["impact_start"] == "2026-03-14T21:12:00Z"
    expected = f"space_id = sp-main; end = {anchors['resolved']}; start = 2026-03-14T21:12:00Z"
    assert rows["blast_radius"]["defaults"] == expected
    table = run(runner, "query", "--list", "--db", sample_db)
    assert f"  parameters: {expected}" in table.output


def test_sql_help_lists_tables_views_and_the_incident_variables(runner):
    text = " ".join(run(runner, "sql", "--help").output.split())
    names = schema_names()
    assert {"join_events", "error_events", "glitch_events", "files", "rejects"} <= set(names["tables"])
    assert {"sessions", "space_bounds", "space_minutes"} <= set(names["views"])
    for name in names["tables"] + names["views"]:
        assert name in text
    assert "getvariable('incident_room')" in text and "getvariable('onset')" in text


def test_sql_reads_the_detected_incident_from_variables(runner, sample_db):
    statement = (
        "select getvariable('incident_room') as room, getvariable('replacement_room') as replacement, "
        "getvariable('onset') as onset"
    )
    result = run(runner, "sql", statement, "--format", "json", "--db", sample_db)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"room": "sp-main", "replacement": "sp-rescue", "onset": "2026-03-14T21:12:00Z"}
    ]
