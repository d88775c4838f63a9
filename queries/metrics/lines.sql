-- A text export's physical lines (for its blank-line count: blank, comment and metadata lines hold no point).
-- params: $path, $compression (gzip|zstd|none), $line_delimiter   returns: lines
select count(*) as lines
from read_csv($path, columns = {'line': 'VARCHAR'}, delim = $line_delimiter, quote = '', escape = '', header = false,
              auto_detect = false, compression = $compression, max_line_size = 8388608)
