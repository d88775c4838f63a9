-- Text files' physical lines, in order, read, decompressed and split by DuckDB: one file, or a batch of small
-- files read as one (file_no: the file's place in $paths, from 0). In file order, so a table made of them (or of
-- one row per line derived from them) numbers the lines by its rowid (blank lines included, as NULL or
-- whitespace). One VARCHAR column, no quoting, and strict mode, so a line is never cut or merged: a file DuckDB
-- cannot split exactly fails here and is split in Python instead (postmortem/sources.py).
-- params: $paths, $compression (gzip|zstd|none), $line_delimiter (a byte sequence no text line holds)
select line as raw, null::varchar as pre_reason, file_index::integer as file_no
from read_csv(
    $paths,
    columns = {'line': 'VARCHAR'},
    delim = $line_delimiter,
    quote = '',
    escape = '',
    header = false,
    auto_detect = false,
    strict_mode = true,
    compression = $compression,
    max_line_size = 8388608
)
