-- The most common reasons lines were rejected, per kind, with a sample line (the first seen).
-- params: $limit
-- returns: kind, reason, lines, sample_file, sample_line, sample_raw
select
    r.kind, r.reason, count(*) as lines,
    first(f.path order by r.file_id, r.line) as sample_file,
    first(r.line order by r.file_id, r.line) as sample_line,
    first(r.raw order by r.file_id, r.line) as sample_raw
from rejects as r
join files as f using (file_id)
group by r.kind, r.reason
order by lines desc, kind, reason
limit $limit
