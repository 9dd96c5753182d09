-- 巡查: inspectors' positions while on duty (the field app's GPS track). One row per fix,
-- identified by (person, time): a phone that resends a batch after a lost answer adds nothing
-- twice. patrol_last keeps each person's newest fix, so the command map reads one row per
-- inspector however long the track grows.
CREATE TABLE patrol_position (
  person_id   bigint NOT NULL REFERENCES person (id),
  at          timestamptz NOT NULL,
  geom        geometry(Point, 4326) NOT NULL,
  accuracy_m  real,
  speed_mps   real,
  heading_deg real,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (person_id, at)
);
-- Tracks of a time window (coverage, pruning old fixes).
CREATE INDEX patrol_position_at ON patrol_position (at);

CREATE TABLE patrol_last (
  person_id   bigint PRIMARY KEY REFERENCES person (id),
  at          timestamptz NOT NULL,
  geom        geometry(Point, 4326) NOT NULL,
  accuracy_m  real,
  speed_mps   real,
  heading_deg real,
  received_at timestamptz NOT NULL DEFAULT now()
);
