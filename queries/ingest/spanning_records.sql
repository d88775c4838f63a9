-- Whether one pass over a CSV file met a record line that opens a quoted field spanning lines (csv_lines marks
-- it): then the file is staged again from its lines kept in a table. reads: staged   params: $spanning
-- returns: found
select count(*) > 0 as found from staged where reason = $spanning
