-- Photos from the public channel. An anonymous citizen has no person or API key to own an
-- upload; the upload is owned by an upload token instead (random, shown once to the
-- uploader; only its sha256 is stored here). Presenting the token later proves ownership,
-- e.g. to put the photos on a public report.
ALTER TABLE media ADD COLUMN owner_upload_hash text CHECK (owner_upload_hash ~ '^[0-9a-f]{64}$');

-- The media table's unnamed owner CHECK (named media_check by PostgreSQL) gains the third owner.
ALTER TABLE media DROP CONSTRAINT media_check;
ALTER TABLE media ADD CONSTRAINT media_owner_check
  CHECK (owner_person_id IS NOT NULL OR owner_api_key_id IS NOT NULL OR owner_upload_hash IS NOT NULL);

-- An upload set is looked up by its hash (size of the set before adding to it).
CREATE INDEX media_owner_upload_idx ON media (owner_upload_hash) WHERE owner_upload_hash IS NOT NULL;
