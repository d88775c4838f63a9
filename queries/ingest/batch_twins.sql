-- Rows of a batch that an earlier file of the batch holds too, as stored, with the first file that holds them:
-- with $across they are duplicates there, as across runs (none when one file is staged).
-- reads: fresh_rows   params: $across, $file_ids   returns: our columns and first_file
select * exclude (source_hash, file_no), min(file_no) as first_file
from fresh_rows
where $across and len($file_ids) > 1
group by all
having count(distinct file_no) > 1
