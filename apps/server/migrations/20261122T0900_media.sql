-- Uploaded photos (report, disposal, verification). The files live in the media store
-- (config.dataDir/media); this table holds what was checked and who may see them.
CREATE TABLE media (
  id                text PRIMARY KEY,
  owner_person_id   bigint REFERENCES person(id),
  owner_api_key_id  bigint REFERENCES api_key(id),
  content_type      text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
  size              integer NOT NULL CHECK (size > 0),
  width             integer NOT NULL,
  height            integer NOT NULL,
  sha256            text NOT NULL,
  exif              jsonb,
  flags             jsonb NOT NULL DEFAULT '[]'::jsonb,
  case_id           bigint REFERENCES case_file(id),
  public            boolean NOT NULL DEFAULT false,
  created_at        timestamptz NOT NULL DEFAULT now(),
  CHECK (owner_person_id IS NOT NULL OR owner_api_key_id IS NOT NULL)
);
CREATE INDEX media_case_idx ON media (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX media_sha256_idx ON media (sha256);
CREATE INDEX media_owner_person_idx ON media (owner_person_id, created_at);
