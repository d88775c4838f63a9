-- Audio quality per minute (UTC) over the listening sessions: how many listened, how many minutes were poor,
-- silent or degraded, and the listeners' MOS at the 10th and 50th percentiles (quantile_disc: a value some
-- listener had).
-- reads: listener_minutes   params: none
-- returns: minute, listeners, poor, silent, degraded, p10, p50
select
    minute,
    count(*) as listeners,
    count(*) filter (where poor) as poor,
    count(*) filter (where silent) as silent,
    count(*) filter (where degraded) as degraded,
    quantile_disc(mos, 0.1) as p10,
    quantile_disc(mos, 0.5) as p50
from listener_minutes
group by minute
order by minute
