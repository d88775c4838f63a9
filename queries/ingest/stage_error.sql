-- Validates error-log lines and normalises them (level aliases: warning->warn, err->error, critical->fatal).
-- reads: source_lines(line, raw, doc, pre_reason)   params: $tz, $clock_offset_s
-- returns: line, raw, reason, ts, service, level, message, code, space_id, server, user_id, extra
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
        coalesce(scalar_text(j, 'service'), scalar_text(j, 'component')) as service,
        coalesce(scalar_text(j, 'level'), scalar_text(j, 'severity'), scalar_text(j, 'lvl')) as level_text,
        case lower(trim(level_text))
            when 'warning' then 'warn'
            when 'err' then 'error'
            when 'critical' then 'fatal'
            else lower(trim(level_text))
        end as level,
        scalar_text(j, 'message') as message,
        scalar_text(j, 'code') as code,
        coalesce(scalar_text(j, 'space_id'), scalar_text(j, 'space'), scalar_text(j, 'room_id')) as space_id,
        scalar_text(j, 'server') as server,
        coalesce(scalar_text(j, 'user_id'), scalar_text(j, 'user'), scalar_text(j, 'uid')) as user_id,
        extra_fields(j, ['ts', 'timestamp', 'time', '@timestamp', 'event_time', 'service', 'component',
                         'level', 'severity', 'lvl', 'message', 'code', 'space_id', 'space', 'room_id',
                         'server', 'user_id', 'user', 'uid']) as extra
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
            when service is null then 'missing required field service'
            when level_text is null then 'missing required field level'
            when message is null then 'missing required field message'
            when '<nested>' in (ts_text, service, level_text, code, space_id, server, user_id)
                then 'a field that must be a single value holds an object or array'
            when parse_ts(ts_text, $tz) is null then 'unparseable timestamp: ' || left(ts_text, 60)
            when level not in ('debug', 'info', 'warn', 'error', 'fatal') then 'unknown level: ' || left(level_text, 60)
        end as reason
    from fields
),

final as (
    select
        line,
        case when reason is not null then raw end as raw,
        reason,
        case when reason is null then ts end as ts,
        service, level, message, code, space_id, server, user_id, extra
    from checked
)

select * from final
