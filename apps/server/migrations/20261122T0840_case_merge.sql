-- Duplicate reports merged into an existing case stay visible as linked reports.
ALTER TABLE case_file ADD COLUMN merged_into_id bigint REFERENCES case_file (id);
CREATE INDEX case_file_merged_into ON case_file (merged_into_id) WHERE merged_into_id IS NOT NULL;
CREATE INDEX case_file_open_class ON case_file (kind, class_code) WHERE closed_at IS NULL;
