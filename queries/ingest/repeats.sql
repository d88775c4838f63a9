-- How many valid staged records repeat an identical record of the same file (for --dedup auto).
-- reads: staged   returns: repeats
select (count(*) - count(distinct hash(*columns(* exclude (line, raw, reason)))))::bigint as repeats
from staged
where reason is null
