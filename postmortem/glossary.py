"""The glossary every output ends with: each term the report uses, defined once. `{names}` are filled from the
detection settings in force (`facts["definitions"]`); backticks mark code, rendered as such in HTML."""

GLOSSARY = [
    ("started_at / ended_at", "A room's `start` event, else its first event; its `end` event, else its last event."),
    ("host", "The user who issued `start`, else the first user with role host."),
    (
        "present",
        "A user is in a room from a join until their next leave; a join while in changes nothing (a "
        "reconnect), a leave while out is ignored (an orphan); everyone leaves when the room ends.",
    ),
    (
        "peak concurrent",
        "The most users present at once, any role, at event resolution; at equal timestamps leaves apply "
        "before joins. Peak at: when it was first reached.",
    ),
    (
        "users affected",
        "Distinct users present in the incident room at any moment of the impact window (so more than the "
        "peak, which counts users at one moment). Reported a glitch: those of them who sent a glitch report "
        "in the window.",
    ),
    (
        "listeners",
        "Distinct users who joined the room with role `listener` (speakers and hosts are not listeners).",
    ),
    (
        "listeners followed / follow rate",
        "Listeners of the failed room who joined the replacement after it started; ÷ all of the failed room's "
        "listeners, and ÷ those still present when it ended (the rest had left before it ended).",
    ),
    ("glitch share", "Distinct users reporting a glitch in a minute ÷ users present at any moment of that minute."),
    ("incident room", "The room with the most glitch-reporting user-minutes inside sustained degradation."),
    (
        "degraded at",
        "Start of the first run of at least {sustain_minutes} consecutive minutes whose glitch share is at "
        "least {factor}× the room's baseline (median share over its first {baseline_minutes} minutes), at "
        "least {floor_share:.0%}, with at least {min_reporters} users reporting.",
    ),
    (
        "phases",
        "healthy until degraded; degraded until the first minute whose reports are mostly `silence` (or the "
        "end); down until the replacement starts; recovering until the replacement's glitch share stays below "
        "the incident threshold for {sustain_minutes} minutes; then recovered.",
    ),
    (
        "impact window",
        "Impact start (degraded at, unless the notes set it) to resolved, else to the end of the down phase.",
    ),
    (
        "switch-over",
        "The earliest room starting after the failed room started and at most {window_minutes} min after it "
        "ended that shares a host, cohost or speaker with it. Gap = its start − the failed room's end.",
    ),
    (
        "first error logged after (or before) onset",
        "The first error- or fatal-level record naming the incident room, from {lead_minutes} min before "
        'degradation on, minus impact start; "before onset" when errors led the audio failure (the JSON value '
        "is then negative). It is when the logs first showed trouble, not when anyone was alerted: give the "
        "real detection time as `detected` under `[anchors]` in the notes.",
    ),
    ("mitigated / resolved", "The replacement room's start; the start of its recovered phase."),
    (
        "lift",
        "A value's share of records in the degraded window ÷ its share before it; for error-log values the "
        "window opens {factor_lead_minutes} min before degradation (errors may lead it). Shown only for values with "
        "at least {factor_min_records} records in the window and a lift of at least {factor_min_lift}×, or "
        "new in the window (none before it, while others of its kind had some).",
    ),
    (
        "error burst",
        "A run of at least {sustain_minutes} consecutive minutes each with at least {burst_min_errors} error- "
        "or fatal-level records and {factor}× the error log's rate over its first {baseline_minutes} minutes.",
    ),
    ("counts", "Errors and glitches are counted after exact duplicate records were dropped at ingest."),
]
