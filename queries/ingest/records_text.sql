-- Text lines -> records by a regular expression with named groups ($pattern; $groups: the group names in order).
-- v holds the groups named in $sources (in that order); empty groups are absent. Where $param_patterns names a
-- pattern for a source, v holds what it captures inside that group instead (a `KEY="value"` parameter of an RFC
-- 5424 structured-data group, mapped as `sd.KEY`). With $multiline, a line that
-- does not match continues the record above it (a stack trace): it is appended to the message group and the
-- record's raw text; without it, or before the first match, such a line is a reject.
-- reads: source_lines   params: $pattern, $groups, $sources, $param_patterns, $message_at, $multiline
-- returns: line, file_no, blank, raw, line_raw, parse_error, v, extra (staging keeps it in a table `records`)
with lines as (
    select rowid + 1 as line, raw, pre_reason, pre_reason is null and regexp_matches(raw, $pattern) as matched
    from source_lines
    where not is_blank(raw)
),

owners as (
    -- the matching line each unmatched line belongs to (only when unmatched lines continue records)
    select line, raw, max(case when matched then line end) over (order by line rows unbounded preceding) as owner
    from lines
    where $multiline
),

continued as (
    select owner as line, string_agg(raw, chr(10) order by line) as tail, count(*) as extra_lines
    from owners
    where owner is not null and owner <> line and line not in (select line from lines where matched)
    group by owner
),

parsed as (
    select
        l.line, l.raw, l.pre_reason, l.matched, c.tail,
        json_extract_string(to_json(regexp_extract(l.raw, $pattern, $groups)), $sources) as group_texts,
        list_transform(
            range(1, len(group_texts) + 1),
            lambda i: nullif(case when $param_patterns[i] = '' then group_texts[i]
                                  else regexp_extract(group_texts[i], $param_patterns[i], 1) end, '')) as groups_v
    from lines as l
    left join continued as c using (line)
    where l.matched or not $multiline or l.line not in (select line from owners where owner is not null)
),

final as (
    select
        line, 0 as file_no, false as blank,  -- a text log is read alone; blank lines are no records
        case when tail is not null then raw || chr(10) || tail end as raw,
        null::varchar as line_raw,  -- the line is in source_lines
        coalesce(pre_reason, case when not matched then 'line does not match the pattern' end) as parse_error,
        case when tail is null or $message_at = 0 then groups_v
             else list_transform(range(1, len(groups_v) + 1),
                                 lambda i: case when i = $message_at then coalesce(groups_v[i], '') || chr(10) || tail
                                                else groups_v[i] end) end as v,
        null::json as extra
    from parsed
)

select * from final
