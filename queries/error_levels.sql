-- Error-log records per level, `unknown` included (a log that carries no severity, e.g. syslog without <PRI>):
-- the report says how many records it could not count as errors or not.
-- params: none
-- returns: level, records
select level, count(*) as records
from error_events
group by level
order by level
