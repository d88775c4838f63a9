-- A text export's rejected points get their line's text, read again from the file (staging carries no line text:
-- at millions of lines it cost more than the parse). params: $path, $compression, $line_delimiter
update metric_checked as c
set raw = left(l.line, 200)
from (
    select row_number() over () as line_no, line
    from read_csv($path, columns = {'line': 'VARCHAR'}, delim = $line_delimiter, quote = '', escape = '', header = false,
                  auto_detect = false, compression = $compression, max_line_size = 8388608)
) as l
where c.ord = l.line_no and c.reason is not null
