-- Time-limit lights (亮灯) of open cases, kept beside case_file rather than in it: the sweep
-- writes here without touching the case row's version, so it never races with the
-- optimistic updates of case transitions. A mark belongs to one phase clock, identified by
-- (phase_started_at, deadline): a new phase or a moved deadline (延期) starts it over.

CREATE TABLE case_light (
  case_id          bigint PRIMARY KEY REFERENCES case_file (id) ON DELETE CASCADE,
  light            text NOT NULL CHECK (light IN ('green', 'yellow', 'red')),
  phase            text NOT NULL,
  phase_started_at timestamptz NOT NULL,
  deadline         timestamptz NOT NULL,
  ratio            double precision NOT NULL,
  at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_light_light ON case_light (light);
