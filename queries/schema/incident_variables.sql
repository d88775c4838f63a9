-- The detected incident as DuckDB variables for `postmortem sql`, read with getvariable('name'): the rooms,
-- the anchor times and the impact window (NULL where the logs show none).
-- params: $incident_room, $replacement_room, $onset, $detected, $mitigated, $resolved, $impact_end
-- returns: nothing (sets the variables incident_room, replacement_room, onset, detected, mitigated, resolved,
-- impact_end)
set variable incident_room = $incident_room::varchar;
set variable replacement_room = $replacement_room::varchar;
set variable onset = $onset::timestamptz;
set variable detected = $detected::timestamptz;
set variable mitigated = $mitigated::timestamptz;
set variable resolved = $resolved::timestamptz;
set variable impact_end = $impact_end::timestamptz;
