-- Comprehensive evaluation (综合评价). Scoring is configuration: each version of the city's
-- evaluation configuration (directions, conversions, weights, bucket tables, region classes,
-- grades) is a row; a result names the version it was scored with. Rows are never edited:
-- a change is a new version. Version 1 holds the defaults of STANDARDS.md.
CREATE TABLE evaluation_config (
  version    integer PRIMARY KEY,
  config     jsonb NOT NULL,
  note       text,
  created_by bigint REFERENCES person (id),
  created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO evaluation_config (version, config, note) VALUES (1, '
{"composites":{"department":[{"indicator":"dueDisposal","direction":"down","conversion":"bucket","table":"departmentCases","weight":10},{"indicator":"closeRate","direction":"up","conversion":"rate","weight":30},{"indicator":"onTimeDisposalRate","direction":"up","conversion":"rate","weight":30},{"indicator":"reworkRate","direction":"down","conversion":"rate","weight":30}],"region":[{"indicator":"reportRate","direction":"down","conversion":"rate","weight":10},{"indicator":"registered","direction":"down","conversion":"bucket","weight":20},{"indicator":"closeRate","direction":"up","conversion":"rate","weight":30},{"indicator":"onTimeCloseRate","direction":"up","conversion":"rate","weight":40}]},"buckets":{"departmentCases":{"rows":[{"upTo":50,"score":100},{"upTo":100,"score":90},{"upTo":200,"score":75},{"upTo":500,"score":60},{"upTo":1000,"score":40}],"otherwise":0},"regionClass1":{"rows":[{"upTo":0,"score":100},{"upTo":2,"score":90},{"upTo":4,"score":75},{"upTo":6,"score":60},{"upTo":8,"score":40}],"otherwise":0},"regionClass2":{"rows":[{"upTo":0,"score":100},{"upTo":3,"score":90},{"upTo":5,"score":75},{"upTo":7,"score":60},{"upTo":9,"score":40}],"otherwise":0}},"regionClassTables":{"1":"regionClass1","2":"regionClass2","3":"regionClass2"},"regionClasses":{"default":"1","byRegionId":{}},"grades":[{"grade":"A","min":90,"color":"green","label":"绿"},{"grade":"B","min":75,"color":"blue","label":"蓝"},{"grade":"C","min":60,"color":"yellow","label":"黄"},{"grade":"D","min":40,"color":"red","label":"红"},{"grade":"E","min":0,"color":"black","label":"黑"}]}', 'STANDARDS.md defaults (region weights corrected to sum to 100 %)');

-- Indicators count completed phases by action within a period of ended_at; the existing
-- (phase, ended_at) index serves every branch. Overdue-open cases are read from case_file
-- by their disposal clock: open ones from a partial index, ones closed since from closed_at.
CREATE INDEX case_file_open_disposal ON case_file (disposal_deadline) WHERE closed_at IS NULL;
CREATE INDEX case_file_closed_at ON case_file (closed_at) WHERE closed_at IS NOT NULL;
