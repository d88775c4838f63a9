-- Distinct numeric level values of the first records (to tell syslog 0-7 from bunyan 10-60).
-- reads: records   params: $at (the level source's position in v; 0 when none)   returns: level
select distinct v[$at] as level
from (select v from records where $at > 0 limit 5000)
where regexp_matches(v[$at], '^\d+$')
order by level
