-- Marks the lines up to a CSV's header as no records where one pass staged every line (it cannot number them
-- while reading). params: $header_line
update staged_lines set blank = true where rowid < $header_line
