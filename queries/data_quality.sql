-- What was loaded, per log kind: files, rows loaded, rejected, duplicates dropped, blank lines, time covered,
-- and the clock offsets applied.
-- params: none
-- returns: kind, files, lines_read, loaded, rejected, duplicates, blank, min_ts, max_ts, clock_offsets_s
select
    kind, count(*) as files, sum(lines_read)::bigint as lines_read, sum(loaded)::bigint as loaded,
    sum(rejected)::bigint as rejected, sum(duplicates)::bigint as duplicates, sum(blank)::bigint as blank, min(min_ts) as min_ts, max(max_ts) as max_ts,
    list(distinct clock_offset_s order by clock_offset_s) as clock_offsets_s
from files
group by kind
order by kind
