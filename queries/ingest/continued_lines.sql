-- Lines joined into the record above them (a stack trace under its log line). reads: records   returns: lines
select coalesce(sum(len(string_split(raw, chr(10))) - 1), 0)::bigint as lines from records where raw is not null
