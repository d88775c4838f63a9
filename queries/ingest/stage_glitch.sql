-- Validates glitch-log lines (client audio-quality reports) and normalises them.
-- reads: source_lines(line, raw, doc, pre_reason)   params: $tz, $clock_offset_s
-- returns: line, raw, reason, ts, space_id, user_id, glitch, duration_ms, packet_loss, jitter_ms,
--          platform, region, edge, extra
with docs as (
    select
        line, raw, pre_reason,
        coalesce(doc, raw) as text,
        case when pre_reason is null and json_valid(text) then json_type(text) end as doc_type,
        case when doc_type = 'OBJECT' then text::json end as j
    from source_lines
    where nullif(trim(raw), '') is not null
),

fields as (
    select
        line, raw, pre_reason, doc_type, j,
        coalesce(scalar_text(j, 'ts'), scalar_text(j, 'timestamp'), scalar_text(j, 'time'),
                 scalar_text(j, '@timestamp'), scalar_text(j, 'event_time')) as ts_text,
        coalesce(scalar_text(j, 'space_id'), scalar_text(j, 'space'), scalar_text(j, 'room_id')) as space_id,
        coalesce(scalar_text(j, 'user_id'), scalar_text(j, 'user'), scalar_text(j, 'uid')) as user_id,
        lower(trim(coalesce(scalar_text(j, 'glitch'), scalar_text(j, 'glitch_kind'), scalar_text(j, 'type')))) as glitch,
        scalar_text(j, 'duration_ms') as duration_text,
        scalar_text(j, 'packet_loss') as packet_loss_text,
        scalar_text(j, 'jitter_ms') as jitter_text,
        scalar_text(j, 'platform') as platform,
        scalar_text(j, 'region') as region,
        scalar_text(j, 'edge') as edge,
        extra_fields(j, ['ts', 'timestamp', 'time', '@timestamp', 'event_time', 'space_id', 'space', 'room_id',
                         'user_id', 'user', 'uid', 'glitch', 'glitch_kind', 'type', 'duration_ms',
                         'packet_loss', 'jitter_ms', 'platform', 'region', 'edge']) as extra
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
            when '<nested>' in (ts_text, space_id, user_id, glitch, duration_text, packet_loss_text, jitter_text,
                                platform, region, edge)
                then 'a field that must be a single value holds an object or array'
            when parse_ts(ts_text, $tz) is null then 'unparseable timestamp: ' || left(ts_text, 60)
            when duration_text is not null and duration_ms is null then 'duration_ms is not a number: ' || left(duration_text, 60)
            when jitter_text is not null and jitter_ms is null then 'jitter_ms is not a number: ' || left(jitter_text, 60)
            when packet_loss_text is not null and packet_loss is null then 'packet_loss is not a number: ' || left(packet_loss_text, 60)
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
