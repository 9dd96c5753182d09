-- The case record (案卷) and its append-only phase log. The table is case_file because
-- CASE is an SQL keyword. The case row is a projection of case_event, written in the
-- same transaction; every evaluation indicator is a GROUP BY over case_event.

CREATE TABLE case_counter (
  day date PRIMARY KEY,
  n   integer NOT NULL
);

CREATE TABLE case_file (
  id                  bigserial PRIMARY KEY,
  number              text NOT NULL UNIQUE,
  source              text NOT NULL CHECK (source IN ('inspector', 'public', 'hotline', 'leader', 'media', 'iot', 'video', 'system')),
  workflow            text NOT NULL CHECK (workflow IN ('standard', 'flattened')),
  kind                text NOT NULL CHECK (kind IN ('component', 'event')),
  edition             text NOT NULL,
  class_code          text NOT NULL,
  severity            text NOT NULL DEFAULT 'normal',
  urgent              boolean NOT NULL DEFAULT false,
  description         text NOT NULL DEFAULT '',
  address             text,
  geom                geometry(Point, 4326) NOT NULL,
  grid_id             bigint REFERENCES region (id),
  community_id        bigint REFERENCES region (id),
  street_id           bigint REFERENCES region (id),
  district_id         bigint REFERENCES region (id),
  component_id        bigint REFERENCES component (id),
  state               text NOT NULL,
  phase               text NOT NULL,
  phase_started_at    timestamptz NOT NULL DEFAULT now(),
  phase_deadline      timestamptz,
  department_id       bigint REFERENCES department (id),
  disposal_limit      jsonb,
  disposal_started_at timestamptz,
  disposal_deadline   timestamptz,
  paused_since        timestamptz,
  pauses              jsonb NOT NULL DEFAULT '[]',
  pending_request     jsonb,
  self_handled        boolean NOT NULL DEFAULT false,
  reporter_id         bigint REFERENCES person (id),
  reporter_contact    jsonb,
  api_key_id          bigint REFERENCES api_key (id),
  idempotency_key     text,
  rework_count        integer NOT NULL DEFAULT 0,
  postpone_count      integer NOT NULL DEFAULT 0,
  return_count        integer NOT NULL DEFAULT 0,
  supervise_count     integer NOT NULL DEFAULT 0,
  archive_type        text CHECK (archive_type IN ('normal', 'overdue', 'error', 'special')),
  closed_at           timestamptz,
  version             integer NOT NULL DEFAULT 1,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
-- A client retry with the same key returns the same case (the key is scoped by the reporter).
CREATE UNIQUE INDEX case_file_idempotency ON case_file (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX case_file_state ON case_file (state);
CREATE INDEX case_file_department ON case_file (department_id, state);
CREATE INDEX case_file_district ON case_file (district_id, state);
CREATE INDEX case_file_grid ON case_file (grid_id);
CREATE INDEX case_file_created ON case_file (created_at);
CREATE INDEX case_file_geom ON case_file USING gist (geom);

CREATE TABLE case_event (
  id            bigserial PRIMARY KEY,
  case_id       bigint NOT NULL REFERENCES case_file (id),
  seq           integer NOT NULL,
  action        text NOT NULL,
  from_state    text,
  to_state      text NOT NULL,
  phase         text NOT NULL,
  actor_id      bigint REFERENCES person (id),
  actor_role    text,
  department_id bigint REFERENCES department (id),
  started_at    timestamptz NOT NULL,
  ended_at      timestamptz NOT NULL,
  deadline_at   timestamptz,
  time_type     text,
  on_time       boolean,
  note          text,
  payload       jsonb NOT NULL DEFAULT '{}',
  UNIQUE (case_id, seq)
);
CREATE INDEX case_event_phase ON case_event (phase, ended_at);
CREATE INDEX case_event_actor ON case_event (actor_id, ended_at);
CREATE INDEX case_event_department ON case_event (department_id, ended_at);

-- Which workflow a class runs (per district when district_id is set); new cases only.
CREATE TABLE workflow_binding (
  id          bigserial PRIMARY KEY,
  edition     text NOT NULL,
  kind        text NOT NULL,
  class_code  text,
  district_id bigint REFERENCES region (id),
  workflow    text NOT NULL CHECK (workflow IN ('standard', 'flattened')),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX workflow_binding_key ON workflow_binding (edition, kind, coalesce(class_code, ''), coalesce(district_id, 0));
