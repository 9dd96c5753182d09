-- Duplicates at intake: the open cases within a few tens of metres of a report. They were found
-- through case_file_open_class (kind, class_code, open only), reading every open case of the
-- report's class and measuring each one's distance: cheap in a young city, but a cost per report
-- that grows with the backlog of its class (a city with thousands of open 暴露垃圾 cases reads
-- them all for each new one). A spatial index over the open cases alone bounds the work by the
-- place instead: a report reads the open cases around it, of any class, and keeps its own.
CREATE INDEX case_file_open_geom ON case_file USING gist (geom) WHERE closed_at IS NULL AND merged_into_id IS NULL;
DROP INDEX case_file_open_class;
