-- Points the derived views at the tables ingest keeps (schema/derive) where they match the data (see
-- db.cache_derived): a report reads them instead of computing them. presence_events stays a view, computed
-- for the one room a report asks it about.
create or replace temp view space_bounds as select * from derived.space_bounds;
create or replace temp view sessions as select * from derived.sessions;
create or replace temp view presence_minutes as select * from derived.presence_minutes;
create or replace temp view space_minutes as select * from derived.space_minutes
