-- Validates join-log (room event) lines and normalises them; the first failing check names the reject reason.
-- reads: source_lines(line, raw, doc, pre_reason)   params: $tz, $clock_offset_s
-- returns: line, raw, reason, ts, space_id, user_id, event, role, platform, region, edge, extra
with docs as (
    select * from parsed_lines(
        '{"ts":"VARCHAR","timestamp":"VARCHAR","time":"VARCHAR","@timestamp":"VARCHAR","event_time":"VARCHAR",
          "space_id":"VARCHAR","space":"VARCHAR","room_id":"VARCHAR","user_id":"VARCHAR","user":"VARCHAR",
          "uid":"VARCHAR","event":"VARCHAR","role":"VARCHAR","platform":"VARCHAR","region":"VARCHAR",
          "edge":"VARCHAR"}',
        ['ts', 'timestamp', 'time', '@timestamp', 'event_time', 'space_id', 'space', 'room_id', 'user_id', 'user',
         'uid', 'event', 'role', 'platform', 'region', 'edge'])
),

fields as (
    select
        line, raw, pre_reason, doc_type, text, extra,
        coalesce(fields.ts, fields.timestamp, fields.time, fields."@timestamp", fields.event_time) as ts_text,
        coalesce(fields.space_id, fields.space, fields.room_id) as space_id,
        coalesce(fields.user_id, fields.user, fields.uid) as user_id,
        lower(trim(fields.event)) as event,
        coalesce(lower(trim(fields.role)), 'listener') as role,
        fields.platform, fields.region, fields.edge
    from docs
),

checked as (
    select
        *,
        parse_ts(ts_text, $tz) + to_microseconds(cast($clock_offset_s * 1e6 as bigint)) as ts,
        case
            when pre_reason is not null then pre_reason
            when doc_type is null then 'invalid JSON'
            when doc_type <> 'OBJECT' then 'not a JSON object'
            when ts_text is null then 'missing required field ts'
            when space_id is null then 'missing required field space_id'
            when user_id is null then 'missing required field user_id'
            when event is null then 'missing required field event'
            when is_nested(text, 'ts', ts_text) or is_nested(text, 'space_id', space_id)
                or is_nested(text, 'user_id', user_id) or is_nested(text, 'space', space_id)
                or is_nested(text, 'user', user_id) or is_nested(text, 'platform', platform)
                or is_nested(text, 'region', region) or is_nested(text, 'edge', edge)
                then 'a field that must be a single value holds an object or array'
            when ts is null then 'unparseable timestamp: ' || left(ts_text, 60)
            when event not in ('start', 'end', 'join', 'leave', 'mic_on', 'mic_off')
                then 'unknown event: ' || left(event, 60)
            when role not in ('host', 'cohost', 'speaker', 'listener') then 'unknown role: ' || left(role, 60)
        end as reason
    from fields
),

final as (
    select
        line,
        case when reason is not null then raw end as raw,
        reason,
        case when reason is null then ts end as ts,
        space_id, user_id, event, role, platform, region, edge, extra
    from checked
)

select * from final
