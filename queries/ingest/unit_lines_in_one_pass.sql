-- unit_lines where one pass staged every physical line (blank ones included) into staged_lines, in order.
-- returns: file_no, first_line, lines (a file with no line has no row)
select file_no, min(rowid) + 1 as first_line, count(*) as lines
from staged_lines
group by file_no
order by file_no
