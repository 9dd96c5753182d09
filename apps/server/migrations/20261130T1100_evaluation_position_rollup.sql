-- Evaluation speed, second part: positions (岗位) and 超期处置倍数 at tens of millions of log rows.
--
-- Until now the position facts were counted from the whole log on every request, and 超期处置倍数
-- read every late disposal of the period (with its case row) and measured it in the server: at
-- 3 M cases a year that is a minute, not "a year < 3 s". So, like the departments' and regions'
-- daily rollup (20261130T0600_evaluation_speed.sql), kept by a statement trigger on case_event in
-- the transaction that writes the log rows, in the zone of evaluation_day_zone:
--
-- 1. evaluation_person_day: the position event facts per local day, person and kind, with the
--    "in time" flag (reported, selfHandled, verified, checked, received, sentVerify, sentCheck,
--    registeredBy, closedBy, dispatched).
-- 2. evaluation_person_change: the facts judged by a *later* log row at asOf (a report is valid
--    once its case is registered; a 立案 counts as 作废 once the case is cancelled; a dispatch is
--    wrong once a 回退 of it is approved, and right again if the case goes back to the same
--    department). Each is a +1 / −1 on the local day the later row was logged (change_day),
--    kept under the day of the fact itself: a period ending at local midnight D sums the rows
--    of its days with change_day < D. The trigger adds, for the cases a statement touches,
--    what the case's rows give now minus what they gave without the statement's rows.
-- 3. evaluation_beat_day: 立案 per local day and grid, and of those the public and hotline
--    reports (漏报 candidates). The beat (责任网格) is applied when reading, since beats change.
-- 4. evaluation_late_disposal: one row per late disposal (feedback with on_time = false), with
--    its day and department; `multiple` (elapsed / limit on the clock's calendar, less the
--    case's 挂账 pauses) is filled in by the server the first time a period needs it, under the
--    key of the working calendar it was measured on, and measured again after the calendar
--    changes.
--
-- The overdue 核实/核查 tasks at asOf are found through a GiST index on the span in which a late
-- task was waiting past its deadline, as case_file_overdue_span does for disposals.

CREATE TABLE evaluation_person_day (
  day       date NOT NULL,
  person_id bigint NOT NULL,
  kind      text NOT NULL,
  n         integer NOT NULL,
  flagged   integer NOT NULL,
  PRIMARY KEY (day, kind, person_id)
);

CREATE TABLE evaluation_person_change (
  day        date NOT NULL,
  change_day date NOT NULL,
  person_id  bigint NOT NULL,
  kind       text NOT NULL,
  delta      integer NOT NULL,
  PRIMARY KEY (day, kind, change_day, person_id)
);

CREATE TABLE evaluation_beat_day (
  day     date NOT NULL,
  grid_id bigint NOT NULL,
  n       integer NOT NULL,
  flagged integer NOT NULL,
  PRIMARY KEY (day, grid_id)
);

CREATE TABLE evaluation_late_disposal (
  event_id      bigint PRIMARY KEY,
  day           date NOT NULL,
  department_id bigint NOT NULL,
  case_id       bigint NOT NULL,
  multiple      double precision,
  calendar_key  text
);
CREATE INDEX evaluation_late_disposal_day ON evaluation_late_disposal (day, department_id);

-- The statement that adds the day facts (persons, beats, late disposals) of the log rows in
-- `src` (the trigger's new rows, or the whole log when rebuilding); `zone` is how it names the
-- time zone (a variable or a parameter). One text for both, so that the trigger and the rebuild
-- cannot classify rows differently; the trigger function is generated from it below, so that
-- its statements are planned once per session, not on every INSERT.
CREATE FUNCTION evaluation_position_sql(src text, zone text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
SELECT format($q$
WITH person_facts AS (
  INSERT INTO evaluation_person_day AS t (day, person_id, kind, n, flagged)
  SELECT f.day, f.person_id, f.kind, count(*), count(*) FILTER (WHERE f.flag)
  FROM (
    SELECT (e.ended_at AT TIME ZONE %2$s)::date AS day, k.kind,
      CASE WHEN k.kind = 'selfHandled' THEN (SELECT r.actor_id FROM case_event r
        WHERE r.case_id = e.case_id AND r.seq = 1 AND r.actor_role = 'inspector') ELSE e.actor_id END AS person_id,
      CASE WHEN k.kind IN ('reported', 'selfHandled') THEN false ELSE e.on_time IS NOT FALSE END AS flag
    FROM %1$s e, LATERAL (SELECT
        CASE WHEN e.phase = 'report' AND e.action = 'report' AND e.actor_role = 'inspector' AND e.to_state <> 'self_review' THEN 'reported'
             WHEN e.phase = 'close' AND e.action = 'self_approve' THEN 'selfHandled'
             WHEN e.phase = 'verify' AND e.action IN ('verify', 'verify_reject') AND e.actor_role = 'inspector' THEN 'verified'
             WHEN e.phase = 'check' AND e.action IN ('check_pass', 'check_fail') AND e.actor_role = 'inspector' THEN 'checked'
             WHEN e.phase = 'receive' AND e.from_state = 'reported' AND e.action IN ('accept', 'reject', 'send_verify', 'merge')
               AND e.actor_role = 'acceptor' AND NOT (e.payload ? 'mergedCaseId') THEN 'received'
             WHEN e.phase = 'check' AND e.action = 'send_check' AND e.actor_role = 'acceptor' THEN 'sentCheck'
             WHEN e.phase = 'register' AND e.action = 'register' AND e.actor_role = 'shiftlead' THEN 'registeredBy'
             WHEN e.phase = 'close' AND e.action = 'close' AND e.actor_role = 'shiftlead' THEN 'closedBy'
             WHEN e.phase = 'dispatch' AND e.action = 'dispatch' AND e.actor_role = 'dispatcher' THEN 'dispatched' END AS k1,
        -- send_verify is also the acceptor's 发核实 (besides, from state reported, a 受理).
        CASE WHEN e.phase = 'receive' AND e.action = 'send_verify' AND e.actor_role = 'acceptor' THEN 'sentVerify' END AS k2) c,
      LATERAL (VALUES (c.k1), (c.k2)) k(kind)
    WHERE k.kind IS NOT NULL AND e.action IN ('report', 'self_approve', 'verify', 'verify_reject', 'check_pass', 'check_fail', 'accept',
      'reject', 'send_verify', 'merge', 'send_check', 'register', 'close', 'dispatch')
  ) f
  WHERE f.person_id IS NOT NULL
  GROUP BY 1, 2, 3 ORDER BY 1, 3, 2
  ON CONFLICT (day, kind, person_id) DO UPDATE SET n = t.n + excluded.n, flagged = t.flagged + excluded.flagged
), beat_facts AS (
  INSERT INTO evaluation_beat_day AS t (day, grid_id, n, flagged)
  SELECT (e.ended_at AT TIME ZONE %2$s)::date, c.grid_id, count(*), count(*) FILTER (WHERE c.source IN ('public', 'hotline'))
  FROM %1$s e JOIN case_file c ON c.id = e.case_id
  WHERE e.phase = 'register' AND e.action IN ('register', 'auto_register') AND c.grid_id IS NOT NULL
  GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (day, grid_id) DO UPDATE SET n = t.n + excluded.n, flagged = t.flagged + excluded.flagged
)
-- (The INSERTs in WITH run to completion though nothing reads them.)
INSERT INTO evaluation_late_disposal (event_id, day, department_id, case_id)
SELECT e.id, (e.ended_at AT TIME ZONE %2$s)::date, e.department_id, e.case_id FROM %1$s e
WHERE e.phase = 'dispose' AND e.action = 'feedback' AND e.on_time = false AND e.deadline_at IS NOT NULL AND e.department_id IS NOT NULL
ON CONFLICT (event_id) DO NOTHING
$q$, src, zone)
$f$;

-- The query of the change facts (evaluation_person_change rows) that the log rows give (those
-- passing `filter`, a condition on case_event e).
--   reported           +1 on the day of the case's first 立案 (register, auto_register)
--   registerCancelled  +1 on the day of the first cancel after the shift leader's register
--   misdispatched      +1 on the day of the first 回退 (return_approve) of the dispatch before
--                      any other dispatch; −1 on the day of the next dispatch when it goes to the
--                      same department again (a dispatch without a department: +1 on that day
--                      when it has one)
CREATE FUNCTION evaluation_person_changes_sql(filter text, zone text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
SELECT format($q$
    WITH x AS (
      SELECT e.id, e.case_id, e.seq, e.action, e.phase, e.actor_id, e.actor_role, e.to_state, e.department_id,
        (e.ended_at AT TIME ZONE %2$s)::date AS day
      FROM case_event e
      WHERE e.action IN ('report', 'register', 'auto_register', 'cancel', 'dispatch', 'auto_dispatch', 'return_approve') %1$s
    ), y1 AS (
      -- g numbers the stretches that each dispatch opens (a dispatch and the rows up to the next one).
      SELECT x.*,
        sum(CASE WHEN x.action IN ('dispatch', 'auto_dispatch') THEN 1 ELSE 0 END) OVER (PARTITION BY x.case_id ORDER BY x.seq) AS g,
        min(CASE WHEN x.phase = 'register' AND x.action IN ('register', 'auto_register') THEN x.day END)
          OVER (PARTITION BY x.case_id) AS reg_day,
        min(CASE WHEN x.action = 'cancel' THEN x.day END)
          OVER (PARTITION BY x.case_id ORDER BY x.seq ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS cancel_day
      FROM x
    ), y AS (
      -- Window functions only (no joins): the first 回退 of a dispatch's stretch, and the next dispatch.
      SELECT y1.*,
        min(CASE WHEN y1.action = 'return_approve' THEN y1.day END) OVER (PARTITION BY y1.case_id, y1.g) AS r_day,
        lead(y1.seq) OVER d AS nd_seq, lead(y1.day) OVER d AS nd_day, lead(y1.department_id) OVER d AS nd_dept
      FROM y1
      WINDOW d AS (PARTITION BY y1.case_id, y1.action IN ('dispatch', 'auto_dispatch') ORDER BY y1.seq)
    ), mis AS (
      SELECT y.day, y.actor_id, y.department_id AS dept, y.r_day, y.nd_seq IS NOT NULL AS has_nd, y.nd_day, y.nd_dept FROM y
      WHERE y.phase = 'dispatch' AND y.action = 'dispatch' AND y.actor_role = 'dispatcher' AND y.r_day IS NOT NULL
    )
    SELECT c.day, c.change_day, c.person_id, c.kind, sum(c.delta)::bigint AS delta FROM (
      SELECT y.day, y.reg_day AS change_day, y.actor_id AS person_id, 'reported'::text AS kind, 1 AS delta FROM y
      WHERE y.phase = 'report' AND y.action = 'report' AND y.actor_role = 'inspector' AND y.to_state <> 'self_review' AND y.reg_day IS NOT NULL
      UNION ALL
      SELECT y.day, y.cancel_day, y.actor_id, 'registerCancelled', 1 FROM y
      WHERE y.phase = 'register' AND y.action = 'register' AND y.actor_role = 'shiftlead' AND y.cancel_day IS NOT NULL
      UNION ALL
      SELECT m.day, CASE WHEN m.dept IS NULL THEN m.nd_day ELSE m.r_day END, m.actor_id, 'misdispatched', 1 FROM mis m
      WHERE m.dept IS NOT NULL OR (m.has_nd AND m.nd_dept IS NOT NULL)
      UNION ALL
      SELECT m.day, m.nd_day, m.actor_id, 'misdispatched', -1 FROM mis m WHERE m.has_nd AND m.dept = m.nd_dept
    ) c
    WHERE c.person_id IS NOT NULL
    GROUP BY 1, 2, 3, 4 HAVING sum(c.delta) <> 0$q$, filter, zone)
$f$;

DO $do$
BEGIN
  EXECUTE format($t$
CREATE FUNCTION evaluation_position_add() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE
  z text := (SELECT zone FROM evaluation_day_zone);
  cases bigint[];
  ids bigint[];
BEGIN
  IF z IS NULL OR NOT EXISTS (SELECT 1 FROM new_events WHERE action IN ('report', 'self_approve', 'verify', 'verify_reject', 'check_pass',
      'check_fail', 'accept', 'reject', 'send_verify', 'merge', 'send_check', 'register', 'auto_register', 'close', 'dispatch',
      'auto_dispatch', 'cancel', 'return_approve', 'feedback')) THEN
    RETURN NULL;
  END IF;
  %1$s;
  -- Change facts: what the touched cases' rows give now, less what they gave before this statement.
  SELECT array_agg(DISTINCT n.case_id), array_agg(n.id) INTO cases, ids FROM new_events n
  WHERE n.action IN ('register', 'auto_register', 'cancel', 'dispatch', 'auto_dispatch', 'return_approve');
  IF cases IS NOT NULL THEN
    INSERT INTO evaluation_person_change AS t (day, change_day, person_id, kind, delta)
    SELECT c.day, c.change_day, c.person_id, c.kind, sum(c.delta)
    FROM (SELECT a.day, a.change_day, a.person_id, a.kind, a.delta FROM (%2$s) a
          UNION ALL
          SELECT b.day, b.change_day, b.person_id, b.kind, -b.delta FROM (%3$s) b) c
    GROUP BY 1, 2, 3, 4 HAVING sum(c.delta) <> 0 ORDER BY 1, 4, 2, 3
    ON CONFLICT (day, kind, change_day, person_id) DO UPDATE SET delta = t.delta + excluded.delta;
  END IF;
  RETURN NULL;
END $body$
$t$, evaluation_position_sql('new_events', 'z'),
    evaluation_person_changes_sql('AND e.case_id = ANY(cases)', 'z'),
    evaluation_person_changes_sql('AND e.case_id = ANY(cases) AND NOT (e.id = ANY(ids))', 'z'));
END $do$;

CREATE TRIGGER case_event_evaluation_position AFTER INSERT ON case_event
  REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION evaluation_position_add();

-- Recounts the position rollup from the whole log in zone z.
CREATE FUNCTION evaluation_position_rebuild(z text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM evaluation_person_day;
  DELETE FROM evaluation_person_change;
  DELETE FROM evaluation_beat_day;
  DELETE FROM evaluation_late_disposal;
  EXECUTE evaluation_position_sql('case_event', '$1') USING z;
  EXECUTE 'INSERT INTO evaluation_person_change (day, change_day, person_id, kind, delta) ' || evaluation_person_changes_sql('', '$1')
    USING z;
END $$;

-- evaluation_day_rebuild() recounts the positions too (same body as before, plus the last call).
CREATE OR REPLACE FUNCTION evaluation_day_rebuild() RETURNS void LANGUAGE plpgsql AS $$
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

  PERFORM evaluation_position_rebuild(z);
END $$;

SELECT evaluation_position_rebuild(coalesce((SELECT zone FROM evaluation_day_zone),
  (SELECT value #>> '{}' FROM city_setting WHERE key = 'timeZone'), 'Asia/Shanghai'));

-- A 核实/核查 task waiting past its deadline at asOf and done later: asOf in
-- (greatest(started_at, deadline_at), ended_at]. Only late tasks have such a span.
CREATE INDEX case_event_task_overdue_span ON case_event
  USING gist (tstzrange(greatest(started_at, deadline_at), ended_at, '(]'))
  WHERE phase IN ('verify', 'check') AND action IN ('verify', 'verify_reject', 'check_pass', 'check_fail') AND actor_role = 'inspector'
    AND deadline_at < ended_at AND started_at < ended_at;
-- The 核实/核查 tasks waiting now.
CREATE INDEX case_file_task_waiting ON case_file (phase_deadline) WHERE state IN ('verifying', 'checking');
-- The merge rows (漏报: a public report into which the beat's inspector's own report was merged is not 漏报).
CREATE INDEX case_event_merge ON case_event (case_id) WHERE action = 'merge';
