-- Evaluation speed. A year of a large city is tens of millions of phase-log rows; counting them
-- per request cannot meet "a month < 0.5 s, a year < 3 s". So:
--
-- 1. The event facts of the default attribution (a phase counts in the period it was completed
--    in) are kept per local day as counts: evaluation_department_day (by the event's department)
--    and evaluation_region_day (by the case's grid, community, street and district). A statement
--    trigger on case_event adds the rows each INSERT writes, in the same transaction, so a count
--    is committed together with the log rows it counts. case_event is append-only, and the region
--    columns and source of a case are fixed at intake, so adding is all the upkeep there is.
--    Periods are whole local days, so a period is the sum of its days.
-- 2. Open-at-asOf facts (overdue) are read from case_file through a GiST index on the span in
--    which a case is overdue and not closed: (disposal_deadline, closed_at], empty for a case
--    closed in time. Any asOf finds its few overdue cases by one index probe.
--
-- The fact definitions are those of evaluation.repository.ts (facts()); the invariants test
-- checks both ways of counting against each other.

-- The time zone the days are local to (the city's settings.timeZone when the rollup was built).
-- The service uses the rollup only while the city's zone is this one; after a change of zone,
-- `SELECT evaluation_day_rebuild()` recounts the days in the new zone.
CREATE TABLE evaluation_day_zone (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  zone     text NOT NULL
);

-- Facts per local day, department and kind (disposed, rework, postponed, suspended, returned,
-- closed); flagged = disposed in time / closed with the last disposal in time.
CREATE TABLE evaluation_department_day (
  day           date NOT NULL,
  department_id bigint NOT NULL,
  kind          text NOT NULL,
  n             integer NOT NULL,
  flagged       integer NOT NULL,
  PRIMARY KEY (day, department_id, kind)
);

-- Facts per local day, case region and kind (registered, reportVerified, closed); a region the
-- case has none of is 0.
CREATE TABLE evaluation_region_day (
  day          date NOT NULL,
  grid_id      bigint NOT NULL,
  community_id bigint NOT NULL,
  street_id    bigint NOT NULL,
  district_id  bigint NOT NULL,
  kind         text NOT NULL,
  n            integer NOT NULL,
  flagged      integer NOT NULL,
  PRIMARY KEY (day, kind, grid_id, community_id, street_id, district_id)
);

-- Adds the facts among a statement's new log rows. 按期结案 (flagged close): the case's last
-- disposal before the close was in time (a probe of UNIQUE (case_id, seq) per close). The two INSERTs below and those of
-- evaluation_day_rebuild() classify rows the same way; keep them in step.
CREATE FUNCTION evaluation_day_add() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  z text := (SELECT zone FROM evaluation_day_zone);
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_events WHERE action IN ('feedback', 'check_fail', 'close_reject', 'postpone_approve',
      'suspend_approve', 'return_approve', 'register', 'auto_register', 'verify', 'close')) THEN
    RETURN NULL;
  END IF;
  INSERT INTO evaluation_department_day AS t (day, department_id, kind, n, flagged)
  SELECT (e.ended_at AT TIME ZONE z)::date, e.department_id, f.kind, count(*), count(*) FILTER (WHERE f.flag)
  FROM new_events e, LATERAL (SELECT
      CASE WHEN e.phase = 'dispose' AND e.action = 'feedback' THEN 'disposed'
           WHEN (e.phase = 'check' AND e.action = 'check_fail') OR (e.phase = 'close' AND e.action = 'close_reject') THEN 'rework'
           WHEN e.phase = 'dispose' AND e.action = 'postpone_approve' THEN 'postponed'
           WHEN e.phase = 'suspend' AND e.action = 'suspend_approve' THEN 'suspended'
           WHEN e.phase = 'dispatch' AND e.action = 'return_approve' THEN 'returned'
           WHEN e.phase = 'close' AND e.action = 'close' THEN 'closed' END AS kind,
      CASE WHEN e.action = 'feedback' THEN e.on_time IS NOT FALSE
           WHEN e.phase = 'close' AND e.action = 'close' THEN (SELECT fb.on_time FROM case_event fb
             WHERE fb.case_id = e.case_id AND fb.seq < e.seq AND fb.phase = 'dispose' AND fb.action = 'feedback'
             ORDER BY fb.seq DESC LIMIT 1) IS NOT FALSE
           ELSE false END AS flag) f
  WHERE e.department_id IS NOT NULL AND f.kind IS NOT NULL
  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (day, department_id, kind) DO UPDATE SET n = t.n + excluded.n, flagged = t.flagged + excluded.flagged;

  INSERT INTO evaluation_region_day AS t (day, grid_id, community_id, street_id, district_id, kind, n, flagged)
  SELECT (e.ended_at AT TIME ZONE z)::date, coalesce(c.grid_id, 0), coalesce(c.community_id, 0), coalesce(c.street_id, 0),
    coalesce(c.district_id, 0), f.kind, count(*), count(*) FILTER (WHERE f.flag)
  FROM new_events e JOIN case_file c ON c.id = e.case_id, LATERAL (SELECT
      CASE WHEN e.phase = 'register' AND e.action IN ('register', 'auto_register') THEN 'registered'
           WHEN e.phase = 'verify' AND e.action = 'verify' AND c.source IN ('public', 'hotline') THEN 'reportVerified'
           WHEN e.phase = 'close' AND e.action = 'close' THEN 'closed' END AS kind,
      CASE WHEN e.phase = 'close' AND e.action = 'close' THEN (SELECT fb.on_time FROM case_event fb
             WHERE fb.case_id = e.case_id AND fb.seq < e.seq AND fb.phase = 'dispose' AND fb.action = 'feedback'
             ORDER BY fb.seq DESC LIMIT 1) IS NOT FALSE ELSE false END AS flag) f
  WHERE f.kind IS NOT NULL
  GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 6, 2, 3, 4, 5
  ON CONFLICT (day, kind, grid_id, community_id, street_id, district_id)
  DO UPDATE SET n = t.n + excluded.n, flagged = t.flagged + excluded.flagged;
  RETURN NULL;
END $$;

CREATE TRIGGER case_event_evaluation_day AFTER INSERT ON case_event
  REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION evaluation_day_add();

-- Recounts every day from the whole log in the city's current time zone (after a change of
-- zone, or after a bulk load written with this trigger disabled).
CREATE FUNCTION evaluation_day_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  z text := coalesce((SELECT value #>> '{}' FROM city_setting WHERE key = 'timeZone'), 'Asia/Shanghai');
BEGIN
  LOCK TABLE case_event IN SHARE MODE;
  DELETE FROM evaluation_day_zone;
  INSERT INTO evaluation_day_zone (zone) VALUES (z);
  DELETE FROM evaluation_department_day;
  DELETE FROM evaluation_region_day;
  INSERT INTO evaluation_department_day (day, department_id, kind, n, flagged)
  SELECT (e.ended_at AT TIME ZONE z)::date, e.department_id, f.kind, count(*), count(*) FILTER (WHERE f.flag)
  FROM case_event e, LATERAL (SELECT
      CASE WHEN e.phase = 'dispose' AND e.action = 'feedback' THEN 'disposed'
           WHEN (e.phase = 'check' AND e.action = 'check_fail') OR (e.phase = 'close' AND e.action = 'close_reject') THEN 'rework'
           WHEN e.phase = 'dispose' AND e.action = 'postpone_approve' THEN 'postponed'
           WHEN e.phase = 'suspend' AND e.action = 'suspend_approve' THEN 'suspended'
           WHEN e.phase = 'dispatch' AND e.action = 'return_approve' THEN 'returned'
           WHEN e.phase = 'close' AND e.action = 'close' THEN 'closed' END AS kind,
      CASE WHEN e.action = 'feedback' THEN e.on_time IS NOT FALSE
           WHEN e.phase = 'close' AND e.action = 'close' THEN (SELECT fb.on_time FROM case_event fb
             WHERE fb.case_id = e.case_id AND fb.seq < e.seq AND fb.phase = 'dispose' AND fb.action = 'feedback'
             ORDER BY fb.seq DESC LIMIT 1) IS NOT FALSE
           ELSE false END AS flag) f
  WHERE e.department_id IS NOT NULL AND f.kind IS NOT NULL
    AND e.action IN ('feedback', 'check_fail', 'close_reject', 'postpone_approve', 'suspend_approve', 'return_approve', 'close')
  GROUP BY 1, 2, 3;

  INSERT INTO evaluation_region_day (day, grid_id, community_id, street_id, district_id, kind, n, flagged)
  SELECT (e.ended_at AT TIME ZONE z)::date, coalesce(c.grid_id, 0), coalesce(c.community_id, 0), coalesce(c.street_id, 0),
    coalesce(c.district_id, 0), f.kind, count(*), count(*) FILTER (WHERE f.flag)
  FROM case_event e JOIN case_file c ON c.id = e.case_id, LATERAL (SELECT
      CASE WHEN e.phase = 'register' AND e.action IN ('register', 'auto_register') THEN 'registered'
           WHEN e.phase = 'verify' AND e.action = 'verify' AND c.source IN ('public', 'hotline') THEN 'reportVerified'
           WHEN e.phase = 'close' AND e.action = 'close' THEN 'closed' END AS kind,
      CASE WHEN e.phase = 'close' AND e.action = 'close' THEN (SELECT fb.on_time FROM case_event fb
             WHERE fb.case_id = e.case_id AND fb.seq < e.seq AND fb.phase = 'dispose' AND fb.action = 'feedback'
             ORDER BY fb.seq DESC LIMIT 1) IS NOT FALSE ELSE false END AS flag) f
  WHERE f.kind IS NOT NULL AND e.action IN ('register', 'auto_register', 'verify', 'close')
  GROUP BY 1, 2, 3, 4, 5, 6;
END $$;

SELECT evaluation_day_rebuild();

-- The span in which a case counts as overdue and open: after its disposal deadline, up to and
-- including its close. Empty when it closed in time, so only late or open cases are indexed.
CREATE INDEX case_file_overdue_span ON case_file USING gist (tstzrange(disposal_deadline, closed_at, '(]'))
  WHERE disposal_deadline IS NOT NULL AND (closed_at IS NULL OR closed_at > disposal_deadline);
