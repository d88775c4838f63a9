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

-- WebRTC statistics dumps (kind `webrtc`, docs/log-format.md): what each client measured of the audio.
-- One row per dump file: the client session it recorded (from the dump's metadata or --set).
create table if not exists webrtc_sessions (
    file_id    integer not null,
    format     varchar not null,
    space_id   varchar,
    user_id    varchar not null,
    role       varchar,
    platform   varchar,
    region     varchar,
    edge       varchar,
    user_agent varchar
);

-- Each peer connection of a dump: how many getstats samples it took and when.
create table if not exists webrtc_connections (
    file_id  integer not null,
    pc_id    varchar not null,
    samples  bigint not null,
    first_ts timestamptz,
    last_ts  timestamptz
);

-- Audio stats per (file, peer connection, stat id, sample), delta-compressed samples expanded. Counters
-- (packets_*, samples, concealment, jitter-buffer totals) hold the difference from the stat's previous sample
-- (null on its first; a counter that went back restarted, so its value is the difference); jitter,
-- audio_level, round_trip_time (s) and erle (dB) are the sampled values.
create table if not exists webrtc_stats (
    file_id                  integer not null,
    pc_id                    varchar not null,
    stat_id                  varchar not null,
    sample                   bigint not null,
    ts                       timestamptz not null,
    type                     varchar not null,
    kind                     varchar,
    packets_received         double,
    packets_lost             double,
    jitter                   double,
    jitter_buffer_delay      double,
    jitter_buffer_emitted    double,
    samples_received         double,
    concealed_samples        double,
    silent_concealed_samples double,
    concealment_events       double,
    inserted_samples         double,
    removed_samples          double,
    audio_level              double,
    round_trip_time          double,
    erle                     double
);

-- Connection and ICE state transitions (event: connection | ice), with the state before.
create table if not exists webrtc_states (
    file_id  integer not null,
    pc_id    varchar not null,
    ts       timestamptz not null,
    event    varchar not null,
    state    varchar not null,
    previous varchar,
    line     bigint not null
);

-- Each session's audio per 10-second interval (UTC), computed as a dump loads (queries/webrtc/derive_quality).
-- Listener side from received audio, speaker side from the microphone source; see docs/definitions.md.
create table if not exists webrtc_quality (
    file_id         integer not null,
    interval_start  timestamptz not null,
    samples         double,
    concealed_share double,
    silent_share    double,
    stretch_share   double,
    loss_rate       double,
    jitter_ms       double,
    buffer_ms       double,
    rtt_ms          double,
    audio_level     double,
    mos             double,
    mic_level       double,
    erle_db         double
);

-- Metrics exported beside the logs (Prometheus, OpenMetrics, OTLP, Grafana CSV; postmortem/metrics/read.py): one
-- row per point. A series is (name, labels); `labels` is a JSON object with sorted keys, so equal label sets are
-- equal text. `type` is counter (cumulative: judged by its rate) or gauge (judged by its value).
create table if not exists metric_points (
    file_id integer not null,
    name    varchar not null,
    labels  json not null,
    ts      timestamptz not null,
    value   double not null,
    type    varchar not null
);

-- The schema version, so a database from another version of postmortem (or another program) is refused
-- with one line instead of being misread. `db.check_schema` runs first and compares a database's tables with
-- what this file creates: a table may lack only trailing columns an `alter table ... add column` above adds
-- (nullable or with a default). Such a database, unversioned or at an older version, is upgraded by this
-- file, which then records this version; a newer one is refused. Bump the version with every schema change.
create table if not exists meta (
    key   varchar primary key,
    value varchar not null
);
insert or replace into meta values ('schema_version', '3');
