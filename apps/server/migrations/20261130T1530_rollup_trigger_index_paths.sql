-- The evaluation rollup triggers on case_event only ever read the rows of the few cases one
-- statement touched (by case_file's primary key and case_event's (case_id, seq) key). PL/pgSQL
-- plans their statements once per session and keeps the plan; a session that started while the
-- log was small (a new city, a restored copy, a test) kept a sequential scan of case_event and
-- paid for the whole log on every INSERT as it grew: 3 ms per log row at 4,000 rows, growing
-- with the log. Index paths are right for these statements at every size, so the triggers plan
-- without sequential scans wherever an index serves (tables without one still scan).
-- Switching a path off works by a huge cost, which would make every run of such a plan worth
-- JIT-compiling (~100 ms each time): so no JIT in these functions either.
ALTER FUNCTION evaluation_day_add() SET enable_seqscan = off;
ALTER FUNCTION evaluation_day_add() SET jit = off;
ALTER FUNCTION evaluation_position_add() SET enable_seqscan = off;
ALTER FUNCTION evaluation_position_add() SET jit = off;
