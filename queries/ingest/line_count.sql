-- Physical lines read. reads: source_lines   returns: lines
select count(*) as lines from source_lines
