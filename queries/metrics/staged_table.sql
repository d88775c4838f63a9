-- The staged points of one metrics file, before their checks: one row per point in the file's order (ord from 1).
-- Each format's stage_* query fills it; checked.sql then gives each point its reject reason or none.
-- params: none
create or replace temp table metric_staged (
    ord        bigint,
    name       varchar,
    labels     json,     -- label_json(): sorted keys, no __name__
    ts         timestamptz,
    ts_text    varchar,
    value_text varchar,
    type       varchar,
    raw        varchar,
    problem    varchar  -- what the format's reader already found wrong (a label given twice, ...)
)
