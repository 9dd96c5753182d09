-- Open311 reads one service's requests newest first (GET /open311/v2/requests?service_code=…):
-- without this index they are found by walking the whole 90-day window of case_file_created.
CREATE INDEX case_file_class_created ON case_file (class_code, kind, created_at);
