-- A text file's physical lines, in order, read, decompressed and split by DuckDB: the temp table's rowid + 1
-- is the line number (blank lines included, as NULL or whitespace). One VARCHAR column, no quoting, and
-- strict mode, so a line is never cut or merged: a file DuckDB cannot split exactly fails here and is split
-- in Python instead (postmortem/sources.py).
-- params: $path, $compression (gzip|zstd|none), $delimiter (a byte sequence no text line holds)
create or replace temp table source_lines as
select line as raw, null::varchar as pre_reason
from read_csv(
    $path,
    columns = {'line': 'VARCHAR'},
    delim = $delimiter,
    quote = '',
    escape = '',
    header = false,
    auto_detect = false,
    strict_mode = true,
    compression = $compression,
    max_line_size = 8388608
)
