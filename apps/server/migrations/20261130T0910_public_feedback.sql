-- What a public reporter says about the result, with the case's tracking code: a satisfaction
-- rating (1–5 stars, optional comment) once per case, and 未解决 ("not fixed") with a reason,
-- which reopens the closed case for the centre's review — once per case, so a reporter and the
-- centre cannot bounce a case back and forth. The phase log has the same facts (actions `rate`
-- and `reopen`, written in the same transaction); this table is what staff and the reporter read.
CREATE TABLE public_feedback (
  id         bigserial PRIMARY KEY,
  case_id    bigint NOT NULL REFERENCES case_file (id),
  kind       text NOT NULL CHECK (kind IN ('rating', 'not_fixed')),
  stars      smallint CHECK (stars BETWEEN 1 AND 5),
  comment    text,
  -- The close the feedback is about.
  closed_at  timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'rating') = (stars IS NOT NULL))
);
-- Once per case and kind: a second rating or a second 未解决 fails here even in a race.
CREATE UNIQUE INDEX public_feedback_once ON public_feedback (case_id, kind);
