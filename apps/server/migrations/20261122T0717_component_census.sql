-- Component census: a representative point kept by the database (map clustering groups
-- these plain numbers instead of decoding every geometry), lookup indexes, and the log
-- of bulk imports.
ALTER TABLE component
  ADD COLUMN lng double precision GENERATED ALWAYS AS (ST_X(ST_PointOnSurface(geom))) STORED,
  ADD COLUMN lat double precision GENERATED ALWAYS AS (ST_Y(ST_PointOnSurface(geom))) STORED;
CREATE INDEX component_maintainer ON component (maintainer_department_id);
CREATE INDEX component_owner ON component (owner_department_id);

-- One row per committed bulk import; imported components carry source = 'import:<id>'.
CREATE TABLE component_import (
  id           bigserial PRIMARY KEY,
  actor_id     bigint REFERENCES person (id),
  file_name    text,
  format       text NOT NULL CHECK (format IN ('geojson', 'csv')),
  coord_sys    text NOT NULL,
  mode         text NOT NULL CHECK (mode IN ('insert', 'upsert')),
  skip_invalid boolean NOT NULL,
  total_rows   integer NOT NULL DEFAULT 0,
  inserted     integer NOT NULL DEFAULT 0,
  updated      integer NOT NULL DEFAULT 0,
  error_count  integer NOT NULL DEFAULT 0,
  errors       jsonb NOT NULL DEFAULT '[]',
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz
);

-- Map clusters without reading every component: counts per square cell of 90/2^18 degrees
-- (~35 m, the zoom-18 cluster cell) with the sums that give the mean point, and the sum of
-- ids (= the id when a cell holds one component). Kept exact by statement-level triggers with
-- transition tables (one set-based pass per INSERT/UPDATE/DELETE/COPY, not one per row).
-- Clusters at zoom ≤ 18 add cells up; components are read only along the bbox edges.
CREATE TABLE component_cell (
  cx      bigint NOT NULL,
  cy      bigint NOT NULL,
  n       integer NOT NULL,
  sum_lng double precision NOT NULL,
  sum_lat double precision NOT NULL,
  sum_id  bigint NOT NULL,
  PRIMARY KEY (cx, cy)
);

CREATE FUNCTION component_cell_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO component_cell AS t (cx, cy, n, sum_lng, sum_lat, sum_id)
  SELECT floor(lng / 0.00034332275390625)::bigint, floor(lat / 0.00034332275390625)::bigint,
         count(*), sum(lng), sum(lat), sum(id)
  FROM new_rows GROUP BY 1, 2
  ON CONFLICT (cx, cy) DO UPDATE SET n = t.n + excluded.n, sum_lng = t.sum_lng + excluded.sum_lng,
    sum_lat = t.sum_lat + excluded.sum_lat, sum_id = t.sum_id + excluded.sum_id;
  RETURN NULL;
END $$;

CREATE FUNCTION component_cell_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE component_cell t SET n = t.n - d.n, sum_lng = t.sum_lng - d.sum_lng, sum_lat = t.sum_lat - d.sum_lat,
    sum_id = t.sum_id - d.sum_id
  FROM (SELECT floor(lng / 0.00034332275390625)::bigint AS cx, floor(lat / 0.00034332275390625)::bigint AS cy,
               count(*) AS n, sum(lng) AS sum_lng, sum(lat) AS sum_lat, sum(id) AS sum_id
        FROM old_rows GROUP BY 1, 2) d
  WHERE t.cx = d.cx AND t.cy = d.cy;
  RETURN NULL;
END $$;

CREATE FUNCTION component_cell_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Only rows whose point changed cell or whose id changed matter; the rest cancel out.
  UPDATE component_cell t SET n = t.n + d.n, sum_lng = t.sum_lng + d.sum_lng, sum_lat = t.sum_lat + d.sum_lat,
    sum_id = t.sum_id + d.sum_id
  FROM (SELECT cx, cy, sum(n)::int AS n, sum(sum_lng) AS sum_lng, sum(sum_lat) AS sum_lat, sum(sum_id)::bigint AS sum_id
        FROM (SELECT floor(o.lng / 0.00034332275390625)::bigint AS cx, floor(o.lat / 0.00034332275390625)::bigint AS cy,
                     -1 AS n, -o.lng AS sum_lng, -o.lat AS sum_lat, -o.id AS sum_id
              FROM old_rows o JOIN new_rows w ON w.id = o.id WHERE w.lng <> o.lng OR w.lat <> o.lat) moved
        GROUP BY 1, 2) d
  WHERE t.cx = d.cx AND t.cy = d.cy;
  INSERT INTO component_cell AS t (cx, cy, n, sum_lng, sum_lat, sum_id)
  SELECT floor(w.lng / 0.00034332275390625)::bigint, floor(w.lat / 0.00034332275390625)::bigint,
         count(*), sum(w.lng), sum(w.lat), sum(w.id)
  FROM old_rows o JOIN new_rows w ON w.id = o.id WHERE w.lng <> o.lng OR w.lat <> o.lat
  GROUP BY 1, 2
  ON CONFLICT (cx, cy) DO UPDATE SET n = t.n + excluded.n, sum_lng = t.sum_lng + excluded.sum_lng,
    sum_lat = t.sum_lat + excluded.sum_lat, sum_id = t.sum_id + excluded.sum_id;
  RETURN NULL;
END $$;

CREATE FUNCTION component_cell_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM component_cell;
  RETURN NULL;
END $$;

CREATE TRIGGER component_cell_insert AFTER INSERT ON component
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION component_cell_add();
CREATE TRIGGER component_cell_update AFTER UPDATE ON component
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION component_cell_move();
CREATE TRIGGER component_cell_delete AFTER DELETE ON component
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION component_cell_remove();
CREATE TRIGGER component_cell_truncate AFTER TRUNCATE ON component
  FOR EACH STATEMENT EXECUTE FUNCTION component_cell_clear();

INSERT INTO component_cell (cx, cy, n, sum_lng, sum_lat, sum_id)
SELECT floor(lng / 0.00034332275390625)::bigint, floor(lat / 0.00034332275390625)::bigint, count(*), sum(lng), sum(lat), sum(id)
FROM component GROUP BY 1, 2;
