-- Cases on one component: the census view's "cases reported on this component" and the
-- intake's duplicate check on the same component read them; without an index both scanned
-- every case. Most cases are events with no component, so the index keeps only the others.
CREATE INDEX case_file_component ON case_file (component_id, created_at DESC) WHERE component_id IS NOT NULL;
