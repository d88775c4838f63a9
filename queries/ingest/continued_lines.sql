-- Lines joined to the record above them (multi-line records), per file. reads: staged   returns: file_no, lines
select file_no, coalesce(sum(len(string_split(raw, chr(10))) - 1), 0)::bigint as lines
from staged
where raw is not null
group by file_no
