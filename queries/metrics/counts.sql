-- The checked points of the staged file: how many are valid and rejected, and the time range of the valid ones.
-- params: none   returns: valid, rejected, min_ts, max_ts
select
    count(*) filter (where reason is null) as valid,
    count(*) filter (where reason is not null) as rejected,
    min(ts) filter (where reason is null) as min_ts,
    max(ts) filter (where reason is null) as max_ts
from metric_checked
