-- Webhooks: subscribers receive signed JSON deliveries of case events (phase-log rows).
--
-- An event reaches the outbox in the transaction that writes its case_event row (the trigger
-- below), so a crash between commit and enqueue cannot lose it. The trigger only writes when an
-- active subscription exists, so intake pays one tiny EXISTS per statement otherwise. A
-- background worker fans outbox rows out to one webhook_delivery per matching subscription and
-- delivers them; the outbox is drained by deleting rows (never read by a serial-id cursor, which
-- would skip rows of transactions that commit out of id order).

CREATE TABLE webhook_subscription (
  id             bigserial PRIMARY KEY,
  name           text NOT NULL,
  url            text NOT NULL CHECK (url ~ '^https?://'),
  -- Kept in clear: it is needed to sign every delivery. Never returned after creation.
  secret         text NOT NULL,
  -- Phase-log actions to deliver (report, dispatch, …); empty = every action.
  event_types    text[] NOT NULL DEFAULT '{}',
  -- Region code prefix: an event matches when its district, street, community or grid code starts with it.
  region_prefix  text,
  department_id  bigint REFERENCES department (id),
  active         boolean NOT NULL DEFAULT true,
  timeout_ms     integer NOT NULL DEFAULT 5000 CHECK (timeout_ms BETWEEN 100 AND 30000),
  max_attempts   integer NOT NULL DEFAULT 10 CHECK (max_attempts BETWEEN 1 AND 30),
  created_by     bigint REFERENCES person (id),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
-- The trigger's EXISTS reads this (a handful of rows; the index keeps it one probe).
CREATE INDEX webhook_subscription_active ON webhook_subscription (id) WHERE active;

-- Case events waiting to be fanned out to subscriptions; deleted by the fan-out that reads them.
CREATE TABLE webhook_outbox (
  id       bigserial PRIMARY KEY,
  event_id bigint NOT NULL
);

CREATE TABLE webhook_delivery (
  id              bigserial PRIMARY KEY,
  -- Sent as X-CityLoop-Delivery; the same on every retry and replay, so receivers can dedupe.
  delivery_key    uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
  subscription_id bigint NOT NULL REFERENCES webhook_subscription (id) ON DELETE CASCADE,
  -- The case_event row (null for a test ping); case and seq order deliveries per case.
  event_id        bigint,
  case_id         bigint,
  seq             integer,
  event_type      text NOT NULL,
  payload         jsonb NOT NULL,
  -- pending (waiting, in flight or between retries) → delivered | failed (attempts used up)
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- A worker's claim: another worker may take the delivery over once this has passed.
  locked_until    timestamptz,
  last_attempt_at timestamptz,
  last_error      text,
  response_code   integer,
  response_ms     integer,
  delivered_at    timestamptz,
  replays         integer NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (subscription_id, event_id)
);
-- What the worker may claim next.
CREATE INDEX webhook_delivery_due ON webhook_delivery (next_attempt_at) WHERE status = 'pending';
-- Per (subscription, case) order: is an earlier event of this case still pending?
CREATE INDEX webhook_delivery_order ON webhook_delivery (subscription_id, case_id, seq) WHERE status = 'pending';
-- The delivery log of a subscription, newest first.
CREATE INDEX webhook_delivery_log ON webhook_delivery (subscription_id, id);

CREATE FUNCTION webhook_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM webhook_subscription WHERE active) THEN
    INSERT INTO webhook_outbox (event_id) SELECT id FROM new_events ORDER BY id;
  END IF;
  RETURN NULL;
END $$;

-- Once per statement (an intake batch writes many rows in one), with the rows it inserted.
CREATE TRIGGER case_event_webhook AFTER INSERT ON case_event
  REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION webhook_enqueue();
