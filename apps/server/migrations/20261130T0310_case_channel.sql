-- Where a report came from within its source: the hotline (12345, 12319), the public app or
-- web form, the instructing office, the outlet; and the other side's reference (work-order
-- number, instruction document number, article link), so the case can be found by it.
ALTER TABLE case_file ADD COLUMN channel text;
ALTER TABLE case_file ADD COLUMN source_ref text;
CREATE INDEX case_file_source_ref ON case_file (source_ref) WHERE source_ref IS NOT NULL;
