-- Lines of a log whose columns are named by directive lines, as JSON objects keyed by the last directive above
-- them: Zeek's `#fields<TAB>ts<TAB>uid ...` (values tab-separated) and the W3C extended log format's
-- `#Fields: date time c-ip ...` (space-separated; IIS, HTTP.SYS; CloudFront writes its rows under the same
-- space-separated `#Fields:` tab-separated, so a row holding a tab is split at tabs). A repeated directive
-- switches the columns from the next line on. Every `#` line (directives, `#types`, `#Date:`, `#close`) is
-- counted like a blank line. A `-` is no value (both formats' unset field). A W3C `#Date:` directive gives rows
-- whose columns lack a date the directive's date as `date`. A line with more or fewer values than columns, or
-- under no directive, is a reject saying so. `written` is the line as written, what a reject keeps.
-- reads: numbered_lines (line, file_no, raw, pre_reason)   returns: line, file_no, raw, written, pre_reason
with marked as (
    select
        line, file_no, raw, pre_reason,
        case
            when starts_with(raw, '#fields' || chr(9)) then string_split(raw[9:], chr(9))
            when starts_with(raw, '#Fields:') then string_split(trim(raw[9:]), ' ')
        end as directive,
        case when starts_with(raw, '#fields' || chr(9)) then chr(9) when starts_with(raw, '#Fields:') then ' ' end
            as directive_separator,
        case when starts_with(raw, '#Date:') then split_part(trim(raw[7:]), ' ', 1) end as directive_date
    from numbered_lines
),

columned as (
    select
        line, file_no, raw, pre_reason,
        last_value(directive ignore nulls) over above as columns,
        last_value(directive_separator ignore nulls) over above as separator,
        last_value(directive_date ignore nulls) over above as date
    from marked
    window above as (partition by file_no order by line rows between unbounded preceding and current row)
),

split as (
    select
        line, file_no, raw, pre_reason, columns, date,
        list_transform(
            string_split(rtrim(raw, chr(13)), case when contains(raw, chr(9)) then chr(9) else separator end),
            lambda x: nullif(x, '-')
        ) as vals
    from columned
)

select
    line, file_no,
    case
        when starts_with(raw, '#') then ''
        when is_blank(raw) or columns is null or len(vals) <> len(columns) then raw
        when date is not null and not list_contains(columns, 'date')
            then to_json(map(list_append(columns, 'date'), list_append(vals, date)))::varchar
        else to_json(map(columns, vals))::varchar
    end as raw,
    raw as written,
    coalesce(pre_reason, case
        when starts_with(raw, '#') or is_blank(raw) then null
        when columns is null then 'no #fields or #Fields directive above the line'
        when len(vals) <> len(columns) then len(vals) || ' values for the ' || len(columns) || ' columns of the directive above'
    end) as pre_reason
from split
