-- Validates join-log (room event) records and normalises them; the first failing check names the reject reason.
-- reads: timed_records (records with ts_text and ts_read)   params: $parts, $alternatives, $constants, $defaults
-- returns: line, file_no, blank, raw, reason, ts, space_id, user_id, event, role, platform, region, edge, extra, source_hash
with fields as (
    select
        line, file_no, blank, raw, line_raw, parse_error, extra, ts_text, ts_read,
        hash(v, extra) as source_hash,  -- the record as written (DEBUG2 and DEBUG3 both read as debug)
        field_value(v, $parts, $alternatives, $constants, $defaults, 2) as space_id,
        field_value(v, $parts, $alternatives, $constants, $defaults, 3) as user_id,
        lower(trim(field_value(v, $parts, $alternatives, $constants, $defaults, 4))) as event,
        coalesce(lower(trim(field_value(v, $parts, $alternatives, $constants, $defaults, 5))), 'listener') as role,
        field_value(v, $parts, $alternatives, $constants, $defaults, 6) as platform,
        field_value(v, $parts, $alternatives, $constants, $defaults, 7) as region,
        field_value(v, $parts, $alternatives, $constants, $defaults, 8) as edge
    from timed_records
),

checked as (
    select
        *,
        ts_read as ts,
        case
            when blank then null  -- no record (dropped by the staged view)
            when parse_error is not null then parse_error
            when ts_text is null or space_id is null or user_id is null or event is null
                then missing_fields(['ts', 'space_id', 'user_id', 'event'], [ts_text, space_id, user_id, event])
            when is_container(ts_text) or is_container(space_id) or is_container(user_id) or is_container(event) or is_container(role) or
                is_container(platform) or is_container(region) or is_container(edge)
                then 'a field that must be a single value holds an object or array'
            when ts is null then 'unparseable timestamp: ' || left(ts_text, 60)
            when not ts between timestamptz '0001-01-01 00:00:00+00' and timestamptz '9999-12-31 23:59:59.999999+00' then 'timestamp outside years 1-9999: ' || left(ts_text, 60)
            when event not in ('start', 'end', 'join', 'leave', 'mic_on', 'mic_off')
                then 'unknown event: ' || left(event, 60)
            when role not in ('host', 'cohost', 'speaker', 'listener') then 'unknown role: ' || left(role, 60)
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
        space_id, user_id, event, role, platform, region, edge, extra, source_hash
    from checked
)

select * from final
