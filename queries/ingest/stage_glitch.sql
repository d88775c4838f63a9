-- Validates glitch-log records (client audio-quality reports) and normalises them; the first failing check
-- names the reject reason. Numbers must be finite ("NaN", "inf" and 1e400 are rejects, never stored).
-- reads: timed_records (records with ts_text and ts_read)   params: $parts, $alternatives, $constants, $defaults
-- returns: line, file_no, blank, raw, reason, ts, space_id, user_id, glitch, duration_ms, packet_loss, jitter_ms, platform,
--          region, edge, extra, source_hash
with fields as (
    select
        line, file_no, blank, raw, line_raw, parse_error, extra, ts_text, ts_read,
        hash(v, extra) as source_hash,  -- the record as written (DEBUG2 and DEBUG3 both read as debug)
        field_value(v, $parts, $alternatives, $constants, $defaults, 2) as space_id,
        field_value(v, $parts, $alternatives, $constants, $defaults, 3) as user_id,
        nullif(lower(trim(field_value(v, $parts, $alternatives, $constants, $defaults, 4))), '') as glitch,
        field_value(v, $parts, $alternatives, $constants, $defaults, 5) as duration_text,
        field_value(v, $parts, $alternatives, $constants, $defaults, 6) as packet_loss_text,
        field_value(v, $parts, $alternatives, $constants, $defaults, 7) as jitter_text,
        field_value(v, $parts, $alternatives, $constants, $defaults, 8) as platform,
        field_value(v, $parts, $alternatives, $constants, $defaults, 9) as region,
        field_value(v, $parts, $alternatives, $constants, $defaults, 10) as edge
    from timed_records
),

checked as (
    select
        *,
        ts_read as ts,
        try_cast(duration_text as double) as duration_ms,
        try_cast(packet_loss_text as double) as packet_loss,
        try_cast(jitter_text as double) as jitter_ms,
        case
            when blank then null  -- no record (dropped by the staged view)
            when parse_error is not null then parse_error
            when ts_text is null or space_id is null or user_id is null or glitch is null
                then missing_fields(['ts', 'space_id', 'user_id', 'glitch'], [ts_text, space_id, user_id, glitch])
            when is_container(ts_text) or is_container(space_id) or is_container(user_id) or is_container(glitch) or
                is_container(duration_text) or is_container(packet_loss_text) or is_container(jitter_text) or
                is_container(platform) or is_container(region) or is_container(edge)
                then 'a field that must be a single value holds an object or array'
            when ts is null then 'unparseable timestamp: ' || left(ts_text, 60)
            when not ts between timestamptz '0001-01-01 00:00:00+00' and timestamptz '9999-12-31 23:59:59.999999+00' then 'timestamp outside years 1-9999: ' || left(ts_text, 60)
            when duration_text is not null and not coalesce(isfinite(duration_ms), false)
                then 'duration_ms is not a number: ' || left(duration_text, 60)
            when jitter_text is not null and not coalesce(isfinite(jitter_ms), false)
                then 'jitter_ms is not a number: ' || left(jitter_text, 60)
            when packet_loss_text is not null and not coalesce(isfinite(packet_loss), false)
                then 'packet_loss is not a number: ' || left(packet_loss_text, 60)
            when packet_loss not between 0 and 1 then 'packet_loss outside 0..1: ' || left(packet_loss_text, 60)
        end as reason
    from fields
),

final as (
    select
        line, file_no, blank,
        -- as written: a record spanning lines always, one line where it is rejected
        coalesce(raw, case when reason is not null then line_raw end) as raw,
        reason,
        case when reason is null then ts end as ts,
        space_id, user_id, glitch, duration_ms, packet_loss, jitter_ms, platform, region, edge, extra, source_hash
    from checked
)

select * from final
