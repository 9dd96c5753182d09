-- A counter that moves with every statement that changes a region, so a process that keeps
-- the grids in memory (the intake locator) can tell in one cheap read whether its copy is
-- still the city's: imports, boundary edits, subdivisions and renames all bump it.
CREATE TABLE region_revision (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  n        bigint NOT NULL
);
INSERT INTO region_revision (only_row, n) VALUES (true, 0);

CREATE FUNCTION region_revision_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE region_revision SET n = n + 1;
  RETURN NULL;
END $$;

CREATE TRIGGER region_revision AFTER INSERT OR UPDATE OR DELETE ON region
  FOR EACH STATEMENT EXECUTE FUNCTION region_revision_bump();
CREATE TRIGGER region_revision_truncate AFTER TRUNCATE ON region
  FOR EACH STATEMENT EXECUTE FUNCTION region_revision_bump();
