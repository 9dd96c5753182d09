-- Dispatch routing rules (派遣规则): class × region × component owner → disposal department.
-- NULL in a condition column means "any". Rules are never deleted, only disabled.
CREATE TABLE dispatch_rule (
  id                  bigserial PRIMARY KEY,
  name                text NOT NULL DEFAULT '',
  edition             text CHECK (edition IN ('CJT214-2007', 'GBT47678.5-2026')),
  kind                text CHECK (kind IN ('component', 'event')),
  -- NULL = any class; a 2-digit major code matches the whole major; a minor code also
  -- matches its detail classes (细类).
  class_code          text,
  -- A district, street or unit grid; NULL = anywhere in the city. Matched by the region's
  -- code, so a rule keeps working after the region's boundary is edited (new version).
  region_id           bigint REFERENCES region (id),
  owner_department_id bigint REFERENCES department (id),
  department_id       bigint NOT NULL REFERENCES department (id),
  priority            integer NOT NULL DEFAULT 0,
  enabled             boolean NOT NULL DEFAULT true,
  valid_from          timestamptz,
  valid_to            timestamptz,
  -- 'seed' rows come from the taxonomy's default departments (seedDefaultRules).
  source              text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'seed')),
  created_by          bigint REFERENCES person (id),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CHECK (class_code IS NULL OR (edition IS NOT NULL AND kind IS NOT NULL)),
  CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_to > valid_from)
);
CREATE INDEX dispatch_rule_class ON dispatch_rule (edition, kind, class_code);
CREATE INDEX dispatch_rule_region ON dispatch_rule (region_id) WHERE region_id IS NOT NULL;
CREATE INDEX dispatch_rule_department ON dispatch_rule (department_id);
CREATE INDEX dispatch_rule_enabled ON dispatch_rule (id) WHERE enabled;
-- One seeded rule per class at most: seeding twice inserts nothing.
CREATE UNIQUE INDEX dispatch_rule_seed ON dispatch_rule (edition, kind, class_code) WHERE source = 'seed';
