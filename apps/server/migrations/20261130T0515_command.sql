-- The command screen (监督指挥) reads the open cases (counters, map, lights) on every change.
-- Open cases are a small share of all cases once a city has run for a while, so a partial
-- index holds just them; the repository repeats this exact predicate so the planner can use it.
CREATE INDEX case_file_open ON case_file (phase_deadline)
  WHERE state NOT IN ('closed', 'not_accepted', 'not_registered', 'cancelled', 'merged');
