-- Each staged file's physical lines (one file, or a batch of small files read as one): the number of its first
-- in the table they were read into (rowid + 1; 1 for a file read alone) and how many. Rejects are numbered from
-- the first. reads: source_lines (see unit_lines_in_one_pass)
-- returns: file_no, first_line, lines (a file with no line has no row)
select file_no, min(rowid) + 1 as first_line, count(*) as lines
from source_lines
group by file_no
order by file_no
