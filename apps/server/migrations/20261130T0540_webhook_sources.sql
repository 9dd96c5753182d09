-- A webhook subscription may be limited to cases of some sources (e.g. the 12345 hotline
-- platform's status callback takes the hotline's cases only); empty = every source.
ALTER TABLE webhook_subscription ADD COLUMN sources text[] NOT NULL DEFAULT '{}';
