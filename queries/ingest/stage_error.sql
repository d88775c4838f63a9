-- Validates error-log records and normalises them; the first failing check names the reject reason. Levels
-- come from the common vocabularies ($level_names -> $level_values, lower-cased; HTTP status codes by class).
-- reads: timed_records (records with ts_text and ts_read)
-- params: $parts, $alternatives, $constants, $defaults (the mapping plan), $file_services, $level_names, $level_values
-- returns: line, file_no, blank, raw, reason, ts, service, level, message, code, space_id, server, user_id, extra, source_hash
with fields as (
    select
        line, file_no, blank, raw, line_raw, parse_error, extra, ts_text, ts_read,
        hash(v, extra) as source_hash,  -- the record as written (DEBUG2 and DEBUG3 both read as debug)
        -- no service field: the file's name (by file_no: a batch's files each their own)
        coalesce(field_value(v, $parts, $alternatives, $constants, $defaults, 2), $file_services[file_no + 1]) as service,
        field_value(v, $parts, $alternatives, $constants, $defaults, 3) as level_text,
        lower(trim(level_text)) as level_key,
        coalesce(
            $level_values[list_position($level_names, level_key)],
            case when regexp_matches(level_key, '^[1-5]\d\d$')
                 then $level_values[list_position($level_names, left(level_key, 1) || 'xx')] end,
            $level_values[list_position($level_names, regexp_replace(level_key, '^([a-z]+)\d+$', '\1'))],
            $level_values[list_position($level_names, '*')]
        ) as level,
        field_value(v, $parts, $alternatives, $constants, $defaults, 4) as message,
        as_text(field_value(v, $parts, $alternatives, $constants, $defaults, 5)) as code,
        as_text(field_value(v, $parts, $alternatives, $constants, $defaults, 6)) as space_id,
        as_text(field_value(v, $parts, $alternatives, $constants, $defaults, 7)) as server,
        as_text(field_value(v, $parts, $alternatives, $constants, $defaults, 8)) as user_id
    from timed_records
),

checked as (
    select
        *,
        ts_read as ts,
        case
            when blank then null  -- no record (dropped by the staged view)
            when parse_error is not null then parse_error
            when ts_text is null or service is null or level_text is null or message is null
                then missing_fields(['ts', 'service', 'level', 'message'], [ts_text, service, level_text, message])
            -- the fields a record must have; an optional one holding an object keeps its JSON (as_text)
            when is_container(ts_text) or is_container(service) or is_container(level_text) or is_container(message)
                then 'a field that must be a single value holds an object or array'
            when ts is null then 'unparseable timestamp: ' || left(ts_text, 60)
            when not ts between timestamptz '0001-01-01 00:00:00+00' and timestamptz '9999-12-31 23:59:59.999999+00' then 'timestamp outside years 1-9999: ' || left(ts_text, 60)
            when level is null then 'unknown level: ' || left(level_text, 60)
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
        service, level, message, code, space_id, server, user_id, extra, source_hash
    from checked
)

select * from final
