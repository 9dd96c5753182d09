-- Evaluation speed, third part: the overdue facts at asOf without reading case rows.
--
-- Every department and region request counts the cases overdue at asOf (overdueOpen, and for
-- departments overdueUndisposed): tens of thousands of cases at 3 M, found through the span
-- index case_file_overdue_span, then read row by row from case_file, one heap page per case
-- (the table does not stay in shared buffers beside the log), and for 超期未处置 a probe of the
-- case's log rows each. Measured with EXPLAIN (ANALYZE, BUFFERS) on 1 M cases, the month's end:
-- 4,720 heap pages read for 2,368 cases (290 ms), and 5,061 more for the probes (400 ms).
--
-- 1. The span index carries the columns those counts read (INCLUDE), so that they are an
--    index-only scan of the index's own pages once the table's pages are all-visible (vacuum);
--    a case row updated since the last vacuum is read from the heap, as before.
-- 2. A partial index of the feedbacks by case and time: the 超期未处置 probe ("no feedback since
--    the disposal clock started") finds nothing in one index page, where it read the case's log
--    rows through UNIQUE (case_id, seq).

DROP INDEX case_file_overdue_span;
CREATE INDEX case_file_overdue_span ON case_file USING gist (tstzrange(disposal_deadline, closed_at, '(]'))
  INCLUDE (id, disposal_deadline, closed_at, disposal_started_at, state, department_id, grid_id, community_id, street_id, district_id)
  WHERE disposal_deadline IS NOT NULL AND (closed_at IS NULL OR closed_at > disposal_deadline);

CREATE INDEX case_event_feedback_case ON case_event (case_id, ended_at) WHERE phase = 'dispose' AND action = 'feedback';
