-- Keeps the derived views every report reads (room bounds, sessions, per-minute presence and room health) as
-- tables of the database, so that a report, run again and again while the postmortem is written, reads them
-- instead of recomputing them. Run by ingest, in one transaction with the stamp of the data they were derived
-- from (schema/record_derived), after a run that changed the events; a report whose data no longer matches the
-- stamp computes the views itself (schema/cache). In their own schema: `main` holds what ingest loads.
create schema if not exists derived;

create or replace temp table cached_space_bounds as select * from space_bounds;
create or replace temp view space_bounds as select * from cached_space_bounds;

-- read by both sessions and the per-minute presence: computed once here, not kept (a report reads it for one room)
create or replace temp table cached_presence_events as select * from presence_events;
create or replace temp view presence_events as select * from cached_presence_events;

-- each kept table then stands in for its view, so the next reads it instead of computing it again
create or replace table derived.space_bounds as select * from space_bounds;
create or replace table derived.sessions as select * from sessions;
create or replace temp view sessions as select * from derived.sessions;
create or replace table derived.presence_minutes as select * from presence_minutes;
create or replace temp view presence_minutes as select * from derived.presence_minutes;
create or replace table derived.space_minutes as select * from space_minutes;

-- the views are made again from schema/views (db.refresh_derived)
drop view presence_events;
drop table cached_presence_events;
drop view space_bounds;
drop table cached_space_bounds
