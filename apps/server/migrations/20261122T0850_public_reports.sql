-- Public (anonymous) reports: a tracking token lets the reporter follow the case without
-- an account. Only its hash is stored.
ALTER TABLE case_file ADD COLUMN public_token_hash text;
CREATE INDEX case_file_number_public ON case_file (number) WHERE public_token_hash IS NOT NULL;
