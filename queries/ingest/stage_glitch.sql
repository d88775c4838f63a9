-- Validates glitch-log lines (client audio-quality reports) and normalises them.
-- reads: source_lines(line, raw, doc, pre_reason)   params: $tz, $clock_offset_s
-- returns: line, raw, reason, ts, space_id, user_id, glitch, duration_ms, packet_loss, jitter_ms,
--          platform, region, edge, extra
with docs as (
    select * from parsed_lines(
        '{"ts":"VARCHAR","timestamp":"VARCHAR","time":"VARCHAR","@timestamp":"VARCHAR","event_time":"VARCHAR",
          "space_id":"VARCHAR","space":"VARCHAR","room_id":"VARCHAR","user_id":"VARCHAR","user":"VARCHAR",
          "uid":"VARCHAR","glitch":"VARCHAR","glitch_kind":"VARCHAR","type":"VARCHAR","duration_ms":"VARCHAR",
          "packet_loss":"VARCHAR","jitter_ms":"VARCHAR","platform":"VARCHAR","region":"VARCHAR","edge":"VARCHAR"}',
        ['ts', 'timestamp', 'time', '@timestamp', 'event_time', 'space_id', 'space', 'room_id', 'user_id', 'user',
         'uid', 'glitch', 'glitch_kind', 'type', 'duration_ms', 'packet_loss', 'jitter_ms', 'platform', 'region',
         'edge'])
),

fields as (
    select
        line, raw, pre_reason, doc_type, text, extra,
        coalesce(fields.ts, fields.timestamp, fields.time, fields."@timestamp", fields.event_time) as ts_text,
        coalesce(fields.space_id, fields.space, fields.room_id) as space_id,
        coalesce(fields.user_id, fields.user, fields.uid) as user_id,
        lower(trim(coalesce(fields.glitch, fields.glitch_kind, fields.type))) as glitch,
        fields.duration_ms as duration_text,
        fields.packet_loss as packet_loss_text,
        fields.jitter_ms as jitter_text,
        fields.platform, fields.region, fields.edge
    from docs
),

checked as (
    select
        *,
        parse_ts(ts_text, $tz) + to_microseconds(cast($clock_offset_s * 1e6 as bigint)) as ts,
        try_cast(duration_text as double) as duration_ms,
        try_cast(packet_loss_text as double) as packet_loss,
        try_cast(jitter_text as double) as jitter_ms,
        case
            when pre_reason is not null then pre_reason
            when doc_type is null then 'invalid JSON'
            when doc_type <> 'OBJECT' then 'not a JSON object'
            when ts_text is null then 'missing required field ts'
            when space_id is null then 'missing required field space_id'
            when user_id is null then 'missing required field user_id'
            when glitch is null or glitch = '' then 'missing required field glitch'
            when is_nested(text, 'ts', ts_text) or is_nested(text, 'space_id', space_id)
                or is_nested(text, 'user_id', user_id) or is_nested(text, 'glitch', glitch)
                or is_nested(text, 'platform', platform) or is_nested(text, 'region', region)
                or is_nested(text, 'edge', edge)
                then 'a field that must be a single value holds an object or array'
            when ts is null then 'unparseable timestamp: ' || left(ts_text, 60)
            when duration_text is not null and duration_ms is null
                then 'duration_ms is not a number: ' || left(duration_text, 60)
            when jitter_text is not null and jitter_ms is null then 'jitter_ms is not a number: ' || left(jitter_text, 60)
            when packet_loss_text is not null and packet_loss is null
                then 'packet_loss is not a number: ' || left(packet_loss_text, 60)
            when packet_loss not between 0 and 1 then 'packet_loss outside 0..1: ' || left(packet_loss_text, 60)
        end as reason
    from fields
),

final as (
    select
        line,
        case when reason is not null then raw end as raw,
        reason,
        case when reason is null then ts end as ts,
        space_id, user_id, glitch, duration_ms, packet_loss, jitter_ms, platform, region, edge, extra
    from checked
)

select * from final
