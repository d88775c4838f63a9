-- The staged file's commonest reject reasons. params: none   returns: reason, points
select reason, count(*) as points from metric_checked where reason is not null group by reason order by points desc, reason limit 5
