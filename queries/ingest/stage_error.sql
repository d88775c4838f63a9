-- Validates error-log lines and normalises them (level aliases: warning->warn, err->error, critical->fatal).
-- reads: source_lines(line, raw, doc, pre_reason)   params: $tz, $clock_offset_s
-- returns: line, raw, reason, ts, service, level, message, code, space_id, server, user_id, extra
with docs as (
    select * from parsed_lines(
        '{"ts":"VARCHAR","timestamp":"VARCHAR","time":"VARCHAR","@timestamp":"VARCHAR","event_time":"VARCHAR",
          "service":"VARCHAR","component":"VARCHAR","level":"VARCHAR","severity":"VARCHAR","lvl":"VARCHAR",
          "message":"VARCHAR","code":"VARCHAR","space_id":"VARCHAR","space":"VARCHAR","room_id":"VARCHAR",
          "server":"VARCHAR","user_id":"VARCHAR","user":"VARCHAR","uid":"VARCHAR"}',
        ['ts', 'timestamp', 'time', '@timestamp', 'event_time', 'service', 'component', 'level', 'severity', 'lvl',
         'message', 'code', 'space_id', 'space', 'room_id', 'server', 'user_id', 'user', 'uid'])
),

fields as (
    select
        line, raw, pre_reason, doc_type, text, extra,
        coalesce(fields.ts, fields.timestamp, fields.time, fields."@timestamp", fields.event_time) as ts_text,
        coalesce(fields.service, fields.component) as service,
        coalesce(fields.level, fields.severity, fields.lvl) as level_text,
        case lower(trim(level_text))
            when 'warning' then 'warn'
            when 'err' then 'error'
            when 'critical' then 'fatal'
            else lower(trim(level_text))
        end as level,
        fields.message, fields.code,
        coalesce(fields.space_id, fields.space, fields.room_id) as space_id,
        fields.server,
        coalesce(fields.user_id, fields.user, fields.uid) as user_id
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
            when is_nested(text, 'ts', ts_text) or is_nested(text, 'service', service)
                or is_nested(text, 'level', level_text) or is_nested(text, 'code', code)
                or is_nested(text, 'space_id', space_id) or is_nested(text, 'server', server)
                or is_nested(text, 'user_id', user_id)
                then 'a field that must be a single value holds an object or array'
            when ts is null then 'unparseable timestamp: ' || left(ts_text, 60)
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
