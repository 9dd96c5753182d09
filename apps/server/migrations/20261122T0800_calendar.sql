-- Working calendar (STANDARDS §5): days that differ from the Monday–Friday rule, and the
-- daily working periods. Seeded from the State Council's published schedules (source
-- 'national'); a city edits days (source 'city'), and a re-seed never overwrites those.
CREATE TABLE calendar_day (
  day        date PRIMARY KEY,
  kind       text NOT NULL CHECK (kind IN ('workday', 'weekend', 'holiday', 'makeup_workday')),
  name       text,
  source     text NOT NULL DEFAULT 'city' CHECK (source IN ('national', 'city')),
  updated_by bigint REFERENCES person (id),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row: the daily working periods (local time of the city's zone) and how N 工作日 counts.
CREATE TABLE calendar_setting (
  id              boolean PRIMARY KEY DEFAULT true CHECK (id),
  working_periods jsonb NOT NULL,
  work_day_mode   text NOT NULL CHECK (work_day_mode IN ('hours', 'close_of_day')),
  updated_by      bigint REFERENCES person (id),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

INSERT INTO calendar_setting (id, working_periods, work_day_mode)
VALUES (true, '[{"start":"08:00","end":"12:00"},{"start":"14:00","end":"18:00"}]', 'hours');
