-- 综合评价, second part: positions, closed periods, appeals.

-- A new configuration version: the latest one plus the positions' composites (监督员, 受理员,
-- 值班长, 派遣员, STANDARDS.md weights) and their count buckets (受理数; 派遣数 starts from the same
-- table). Versions are never edited; results scored before keep naming the version they used.
INSERT INTO evaluation_config (version, config, note)
SELECT l.version + 1,
  jsonb_set(
    jsonb_set(l.config, '{composites}', (l.config -> 'composites') || '{"inspector":[{"indicator":"validReportRate","direction":"up","conversion":"rate","weight":40},{"indicator":"missedRate","direction":"down","conversion":"rate","weight":20},{"indicator":"onTimeVerifyRate","direction":"up","conversion":"rate","weight":20},{"indicator":"onTimeCheckRate","direction":"up","conversion":"rate","weight":20}],"acceptor":[{"indicator":"received","direction":"up","conversion":"bucket","table":"acceptorReceived","weight":25},{"indicator":"sendVerifyOnTimeRate","direction":"up","conversion":"rate","weight":40},{"indicator":"sendCheckOnTimeRate","direction":"up","conversion":"rate","weight":35}],"shiftlead":[{"indicator":"onTimeRegisterRate","direction":"up","conversion":"rate","weight":25},{"indicator":"accurateRegisterRate","direction":"up","conversion":"rate","weight":40},{"indicator":"onTimeCloseRate","direction":"up","conversion":"rate","weight":35}],"dispatcher":[{"indicator":"dispatched","direction":"up","conversion":"bucket","table":"dispatcherDispatched","weight":20},{"indicator":"onTimeDispatchRate","direction":"up","conversion":"rate","weight":40},{"indicator":"accurateDispatchRate","direction":"up","conversion":"rate","weight":40}]}'::jsonb),
    '{buckets}', (l.config -> 'buckets') || '{"acceptorReceived":{"rows":[{"upTo":100,"score":0},{"upTo":300,"score":40},{"upTo":500,"score":60},{"upTo":1200,"score":75},{"upTo":2000,"score":90}],"otherwise":100},"dispatcherDispatched":{"rows":[{"upTo":100,"score":0},{"upTo":300,"score":40},{"upTo":500,"score":60},{"upTo":1200,"score":75},{"upTo":2000,"score":90}],"otherwise":100}}'::jsonb),
  'Positions (监督员, 受理员, 值班长, 派遣员): STANDARDS.md weights and bucket tables'
FROM (SELECT version, config FROM evaluation_config ORDER BY version DESC LIMIT 1) l;

-- Closed (materialised) periods: a period's results are computed once when it is closed and
-- stored, so later corrections of the log do not change them. A recompute on purpose adds a
-- version; earlier versions stay readable. One row per period and attribution.
CREATE TABLE evaluation_period (
  id          bigserial PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('month', 'quarter', 'year', 'custom')),
  from_day    date NOT NULL,
  to_day      date NOT NULL CHECK (to_day > from_day),
  attribution text NOT NULL CHECK (attribution IN ('completed', 'created')),
  time_zone   text NOT NULL,
  closed_by   bigint REFERENCES person (id),
  closed_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (from_day, to_day, attribution)
);

-- One computation of a closed period: the configuration version it was scored with, the
-- moment open cases were looked at, the accepted appeals it applied, who ran it and why.
CREATE TABLE evaluation_period_version (
  period_id      bigint NOT NULL REFERENCES evaluation_period (id),
  version        integer NOT NULL,
  config_version integer NOT NULL REFERENCES evaluation_config (version),
  as_of          timestamptz NOT NULL,
  appeal_ids     jsonb NOT NULL DEFAULT '[]',
  computed_by    bigint REFERENCES person (id),
  computed_at    timestamptz NOT NULL DEFAULT now(),
  reason         text,
  PRIMARY KEY (period_id, version)
);

-- The stored results of one version, per object type ('department', 'region:grid', …,
-- 'position:inspector', …): the items exactly as the live endpoints return them.
CREATE TABLE evaluation_period_result (
  period_id bigint NOT NULL,
  version   integer NOT NULL,
  object    text NOT NULL,
  items     jsonb NOT NULL,
  PRIMARY KEY (period_id, version, object),
  FOREIGN KEY (period_id, version) REFERENCES evaluation_period_version (period_id, version)
);

-- 申诉: a department appeals one case's deduction in one indicator. One appeal per case,
-- department and indicator; an approver accepts or refuses it once. Accepted appeals take the
-- case out of that deduction in live results and in recomputed periods.
CREATE TABLE evaluation_appeal (
  id            bigserial PRIMARY KEY,
  case_id       bigint NOT NULL REFERENCES case_file (id),
  department_id bigint NOT NULL REFERENCES department (id),
  indicator     text NOT NULL,
  reason        text NOT NULL,
  state         text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'refused')),
  created_by    bigint REFERENCES person (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  decided_by    bigint REFERENCES person (id),
  decided_at    timestamptz,
  remark        text,
  UNIQUE (case_id, department_id, indicator)
);
-- Results read the accepted appeals (few) on every request.
CREATE INDEX evaluation_appeal_accepted ON evaluation_appeal (department_id) WHERE state = 'accepted';

-- 超期处置倍数 reads the late disposals of a period (about one in seven), not every disposal.
CREATE INDEX case_event_late_feedback ON case_event (ended_at) WHERE phase = 'dispose' AND action = 'feedback' AND on_time = false;
