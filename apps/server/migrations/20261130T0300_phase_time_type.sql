-- Phase limits are city settings now (settings.phaseLimits). A case keeps the time type its
-- current phase clock was set with, so the deadline sweep measures that clock as it was set,
-- whatever the settings say later. NULL on rows written before: work time (urgent: continuous).
ALTER TABLE case_file ADD COLUMN phase_time_type text
  CHECK (phase_time_type IN ('urgent', 'work', 'natural'));
