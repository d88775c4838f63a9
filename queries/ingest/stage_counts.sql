-- What a staged file holds, before it is appended.
-- reads: source_lines, staged   returns: lines_read, blank, valid, rejected, min_ts, max_ts
select
    (select count(*) from source_lines) as lines_read,
    (select count(*) from source_lines where nullif(trim(raw), '') is null) as blank,
    count(*) filter (where reason is null) as valid,
    count(*) filter (where reason is not null) as rejected,
    min(ts) as min_ts,
    max(ts) as max_ts
from staged
