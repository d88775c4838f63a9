-- Rows each just-appended file added (a batch's files are appended by one statement).
-- params: $file_ids   returns: file_id, loaded
select file_id, count(*) as loaded
from (
    select file_id from join_events where file_id in (select unnest($file_ids))
    union all
    select file_id from error_events where file_id in (select unnest($file_ids))
    union all
    select file_id from glitch_events where file_id in (select unnest($file_ids))
)
group by file_id
