-- The tables ingest writes and every query reads. Idempotent: safe to run on each connect.
-- Times are TIMESTAMPTZ, stored as UTC instants; `extra` keeps a record's unknown fields as a JSON object.

create sequence if not exists file_ids start 1;

-- One row per file loaded: the ingest log, keyed by content fingerprint so a re-run loads nothing twice.
create table if not exists files (
    file_id        integer primary key default nextval('file_ids'),
    path           varchar not null,
    sha256         varchar not null unique,
    kind           varchar not null,
    format         varchar not null,
    bytes          bigint not null,
    lines_read     bigint not null,
    blank          bigint not null,
    loaded         bigint not null,
    rejected       bigint not null,
    duplicates     bigint not null,
    min_ts         timestamptz,
    max_ts         timestamptz,
    tz             varchar not null,
    clock_offset_s double not null,
    ingested_at    timestamptz not null,
    seconds        double not null
);

-- Added with real-log support: lines joined into the record above (a stack trace, a quoted CSV newline), whether
-- the file loaded or had every line rejected, and the mapping options it was read with (a re-run with --replace
-- or a fixed mapping replaces a file's rows). Added in place so databases written before keep working.
alter table files add column if not exists continued bigint default 0;
alter table files add column if not exists status varchar default 'loaded';
alter table files add column if not exists options json;

-- Every line that could not be loaded, with the reason: nothing the user gave us is lost.
create table if not exists rejects (
    file_id integer not null,
    kind    varchar not null,
    line    bigint not null,
    reason  varchar not null,
    raw     varchar
);

create table if not exists join_events (
    ts       timestamptz not null,
    space_id varchar not null,
    user_id  varchar not null,
    event    varchar not null,
    role     varchar not null,
    platform varchar,
    region   varchar,
    edge     varchar,
    extra    json
);

create table if not exists error_events (
    ts       timestamptz not null,
    service  varchar not null,
    level    varchar not null,
    message  varchar not null,
    code     varchar,
    space_id varchar,
    server   varchar,
    user_id  varchar,
    extra    json
);

create table if not exists glitch_events (
    ts          timestamptz not null,
    space_id    varchar not null,
    user_id     varchar not null,
    glitch      varchar not null,
    duration_ms double,
    packet_loss double,
    jitter_ms   double,
    platform    varchar,
    region      varchar,
    edge        varchar,
    extra       json
);

-- Which file each event row came from, so `ingest --replace` can take back exactly what a file loaded (rows
-- loaded before this column existed have none).
alter table join_events add column if not exists file_id integer;
alter table error_events add column if not exists file_id integer;
alter table glitch_events add column if not exists file_id integer;

-- The schema version, so a database from another version of postmortem (or another program) is refused
-- with one line instead of being misread. `db.check_schema` runs first and compares a database's tables with
-- what this file creates: a table may lack only trailing columns an `alter table ... add column` above adds
-- (nullable or with a default). Such a database, unversioned or at an older version, is upgraded by this
-- file, which then records this version; a newer one is refused. Bump the version with every schema change.
create table if not exists meta (
    key   varchar primary key,
    value varchar not null
);
insert or replace into meta values ('schema_version', '1');
