-- Drops a metrics file's staging tables. params: none
drop table if exists metric_staged;
drop table if exists metric_checked
