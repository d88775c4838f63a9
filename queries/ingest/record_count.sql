-- Records parsed from the file (a multi-line record counts once; blank lines are not records).
-- reads: records   returns: records
select count(*) as records from records
