-- Foundation schema: city settings, regions (district → street → community → grid),
-- inspectors' beats, organisations and access, taxonomy, component census,
-- address gazetteer and the audit log.
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE city_setting (
  key        text PRIMARY KEY,
  value      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One table for every administrative level. Rows are versioned: an edit closes the
-- current row (valid_to) and inserts the next version with the same code; nothing
-- is ever deleted, so old cases keep pointing at the grid they were filed in.
CREATE TABLE region (
  id            bigserial PRIMARY KEY,
  level         text NOT NULL CHECK (level IN ('district', 'street', 'community', 'grid')),
  code          text NOT NULL,
  name          text NOT NULL,
  parent_id     bigint REFERENCES region (id),
  district_id   bigint REFERENCES region (id),
  street_id     bigint REFERENCES region (id),
  community_id  bigint REFERENCES region (id),
  geom          geometry(MultiPolygon, 4326) NOT NULL,
  area_m2       double precision NOT NULL,
  version       integer NOT NULL DEFAULT 1,
  valid_from    timestamptz NOT NULL DEFAULT now(),
  valid_to      timestamptz,
  properties    jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (code, version)
);
CREATE UNIQUE INDEX region_current_code ON region (code) WHERE valid_to IS NULL;
CREATE INDEX region_parent ON region (parent_id) WHERE valid_to IS NULL;
CREATE INDEX region_level ON region (level) WHERE valid_to IS NULL;
-- locate() relies on this partial GiST index: current grids only.
CREATE INDEX region_grid_geom ON region USING gist (geom) WHERE valid_to IS NULL AND level = 'grid';
CREATE INDEX region_geom ON region USING gist (geom) WHERE valid_to IS NULL;

CREATE TABLE department (
  id         bigserial PRIMARY KEY,
  code       text NOT NULL UNIQUE,
  name       text NOT NULL,
  short_name text,
  level      text NOT NULL CHECK (level IN ('city', 'district', 'street')),
  kind       text NOT NULL DEFAULT 'execution' CHECK (kind IN ('execution', 'support', 'centre')),
  parent_id  bigint REFERENCES department (id),
  region_id  bigint REFERENCES region (id),
  phone      text,
  active     boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE person (
  id            bigserial PRIMARY KEY,
  username      text NOT NULL UNIQUE,
  name          text NOT NULL,
  phone         text,
  department_id bigint REFERENCES department (id),
  password_hash text,
  active        boolean NOT NULL DEFAULT true,
  locale        text NOT NULL DEFAULT 'zh-CN',
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- A person may hold several roles; each role may be scoped to a region (a district,
-- street, …) and/or a department. NULL scope = city-wide.
CREATE TABLE person_role (
  id                  bigserial PRIMARY KEY,
  person_id           bigint NOT NULL REFERENCES person (id),
  role                text NOT NULL,
  scope_region_id     bigint REFERENCES region (id),
  scope_department_id bigint REFERENCES department (id),
  UNIQUE (person_id, role)
);

-- Inspectors' responsibility grids (责任网格): a named set of unit grids.
CREATE TABLE beat (
  id           bigserial PRIMARY KEY,
  code         text NOT NULL UNIQUE,
  name         text NOT NULL,
  inspector_id bigint REFERENCES person (id),
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE beat_grid (
  beat_id bigint NOT NULL REFERENCES beat (id),
  grid_id bigint NOT NULL REFERENCES region (id),
  PRIMARY KEY (beat_id, grid_id)
);
CREATE INDEX beat_grid_grid ON beat_grid (grid_id);

CREATE TABLE session (
  token_hash   text PRIMARY KEY,
  person_id    bigint NOT NULL REFERENCES person (id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX session_person ON session (person_id);

CREATE TABLE api_key (
  id            bigserial PRIMARY KEY,
  name          text NOT NULL,
  prefix        text NOT NULL,
  key_hash      text NOT NULL UNIQUE,
  role          text NOT NULL,
  department_id bigint REFERENCES department (id),
  created_by    bigint REFERENCES person (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);

-- Component and event classes of both coding editions, plus a city's own
-- extensions and third-level detail classes (细类).
CREATE TABLE taxonomy_class (
  id                      bigserial PRIMARY KEY,
  edition                 text NOT NULL CHECK (edition IN ('CJT214-2007', 'GBT47678.5-2026')),
  kind                    text NOT NULL CHECK (kind IN ('component', 'event')),
  code                    text NOT NULL,
  name                    text NOT NULL,
  level                   text NOT NULL CHECK (level IN ('major', 'minor', 'detail')),
  parent_code             text,
  major_code              text NOT NULL,
  filing_condition        text,
  closing_condition       text,
  disposal_limit          jsonb,
  default_department_code text,
  severity_levels         jsonb NOT NULL DEFAULT '[]',
  geometry_type           text CHECK (geometry_type IN ('point', 'line', 'polygon')),
  related_code            text,
  is_extension            boolean NOT NULL DEFAULT false,
  enabled                 boolean NOT NULL DEFAULT true,
  sort                    integer NOT NULL DEFAULT 0,
  updated_at              timestamptz NOT NULL DEFAULT now(),
  UNIQUE (edition, kind, code)
);

CREATE TABLE component (
  id                       bigserial PRIMARY KEY,
  code                     text NOT NULL UNIQUE,
  edition                  text NOT NULL,
  class_code               text NOT NULL,
  name                     text,
  geom                     geometry(Geometry, 4326) NOT NULL,
  status                   text NOT NULL DEFAULT 'intact',
  owner_department_id      bigint REFERENCES department (id),
  maintainer_department_id bigint REFERENCES department (id),
  grid_id                  bigint REFERENCES region (id),
  address                  text,
  attributes               jsonb NOT NULL DEFAULT '{}',
  source                   text,
  version                  integer NOT NULL DEFAULT 1,
  created_at               timestamptz NOT NULL DEFAULT now(),
  updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX component_geom ON component USING gist (geom);
CREATE INDEX component_grid ON component (grid_id);
CREATE INDEX component_class ON component (class_code);

CREATE TABLE component_history (
  id           bigserial PRIMARY KEY,
  component_id bigint NOT NULL REFERENCES component (id),
  changed_at   timestamptz NOT NULL DEFAULT now(),
  changed_by   bigint REFERENCES person (id),
  action       text NOT NULL,
  before       jsonb,
  after        jsonb
);
CREATE INDEX component_history_component ON component_history (component_id, changed_at);

-- Address gazetteer (地理编码): 行政区域, 地片, 区片, 街巷, 门(楼)牌, 兴趣点.
CREATE TABLE gazetteer (
  id           bigserial PRIMARY KEY,
  kind         text NOT NULL CHECK (kind IN ('district', 'area', 'block', 'road', 'doorplate', 'poi')),
  name         text NOT NULL,
  full_address text NOT NULL,
  road_name    text,
  house_number text,
  district_id  bigint REFERENCES region (id),
  grid_id      bigint REFERENCES region (id),
  geom         geometry(Geometry, 4326) NOT NULL,
  aliases      text[] NOT NULL DEFAULT '{}',
  search_text  text NOT NULL,
  valid_from   timestamptz NOT NULL DEFAULT now(),
  valid_to     timestamptz
);
CREATE INDEX gazetteer_search ON gazetteer USING gin (search_text gin_trgm_ops);
CREATE INDEX gazetteer_geom ON gazetteer USING gist (geom);
CREATE INDEX gazetteer_kind ON gazetteer (kind);

CREATE TABLE audit_log (
  id        bigserial PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  actor_id  bigint REFERENCES person (id),
  action    text NOT NULL,
  entity    text NOT NULL,
  entity_id text,
  before    jsonb,
  after     jsonb
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
