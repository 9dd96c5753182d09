-- Two-level platforms (两级平台): a city platform forwards cases dispatched to a district
-- platform's department; the district platform reports their progress back. Both directions run
-- from a persistent outbox written by a trigger in the transaction of the phase-log row, so
-- nothing acknowledged is lost when either side is down; a worker delivers and retries.

CREATE TABLE platform_link (
  id            bigserial PRIMARY KEY,
  name          text NOT NULL,
  -- downstream: the other side is a district platform we dispatch to (through department_id);
  -- upstream: the other side is the city platform that dispatches to us.
  direction     text NOT NULL CHECK (direction IN ('downstream', 'upstream')),
  base_url      text NOT NULL CHECK (base_url ~ '^https?://'),
  -- Our API key at the other side. Kept in clear: it is sent with every call. Never returned.
  api_key       text NOT NULL,
  -- downstream: the department that stands for the district platform in our dispatch.
  department_id bigint REFERENCES department (id),
  -- upstream: the division code the city platform sends as its platform.cityCode.
  remote_code   text,
  active        boolean NOT NULL DEFAULT true,
  created_by    bigint REFERENCES person (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CHECK ((direction = 'downstream' AND department_id IS NOT NULL) OR (direction = 'upstream' AND remote_code IS NOT NULL))
);
CREATE UNIQUE INDEX platform_link_department ON platform_link (department_id) WHERE active AND direction = 'downstream';
CREATE UNIQUE INDEX platform_link_remote ON platform_link (remote_code) WHERE active AND direction = 'upstream';

-- Which case on the other side a case of ours corresponds to.
CREATE TABLE platform_case (
  link_id        bigint NOT NULL REFERENCES platform_link (id),
  case_id        bigint NOT NULL REFERENCES case_file (id),
  remote_case_id bigint NOT NULL,
  remote_number  text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (link_id, case_id),
  UNIQUE (link_id, remote_case_id)
);
CREATE INDEX platform_case_case ON platform_case (case_id);

-- What has to reach the other side: forward (a case dispatched downstream) or progress (one of
-- our steps on a case that came from upstream). Delivered in event order per (link, case).
CREATE TABLE platform_outbox (
  id              bigserial PRIMARY KEY,
  link_id         bigint NOT NULL REFERENCES platform_link (id),
  case_id         bigint NOT NULL REFERENCES case_file (id),
  event_id        bigint NOT NULL,
  seq             integer NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('forward', 'progress')),
  action          text NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until    timestamptz,
  last_error      text,
  result          jsonb,
  created_at      timestamptz NOT NULL DEFAULT now(),
  done_at         timestamptz,
  UNIQUE (link_id, event_id)
);
CREATE INDEX platform_outbox_due ON platform_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX platform_outbox_order ON platform_outbox (link_id, case_id, seq) WHERE status = 'pending';

CREATE FUNCTION platform_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM platform_link WHERE active) THEN
    -- Dispatched to a department that stands for a district platform: forward the case.
    INSERT INTO platform_outbox (link_id, case_id, event_id, seq, kind, action)
    SELECT l.id, e.case_id, e.id, e.seq, 'forward', e.action
    FROM new_events e
    JOIN platform_link l ON l.active AND l.direction = 'downstream' AND l.department_id = e.department_id
    WHERE e.action IN ('dispatch', 'auto_dispatch')
    ORDER BY e.id
    ON CONFLICT DO NOTHING;
    -- A step on a case that came from the city platform: report it back.
    INSERT INTO platform_outbox (link_id, case_id, event_id, seq, kind, action)
    SELECT pc.link_id, e.case_id, e.id, e.seq, 'progress', e.action
    FROM new_events e
    JOIN platform_case pc ON pc.case_id = e.case_id
    JOIN platform_link l ON l.id = pc.link_id AND l.active AND l.direction = 'upstream'
    WHERE e.action IN ('dispatch', 'auto_dispatch', 'close', 'refuse', 'cancel')
    ORDER BY e.id
    ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER case_event_platform AFTER INSERT ON case_event
  REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION platform_enqueue();
