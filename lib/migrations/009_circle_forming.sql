-- Forming circles in the app: drafts record who last changed and who finalised them and how the
-- engine solved them; a circle has a facilitator from the committee; pairs the committee keeps
-- together; meetings carry a time and can be cancelled, so a finalised cycle has a real calendar.
ALTER TABLE circle_drafts ADD COLUMN updated_by VARCHAR;
ALTER TABLE circle_drafts ADD COLUMN updated_at TIMESTAMP;
ALTER TABLE circle_drafts ADD COLUMN finalised_by VARCHAR;
ALTER TABLE circle_drafts ADD COLUMN finalised_at TIMESTAMP;
ALTER TABLE circle_drafts ADD COLUMN solver JSON;          -- method, optimal, gap, seconds of the last solve
ALTER TABLE circles ADD COLUMN facilitator VARCHAR;        -- a committee user name

ALTER TABLE forbidden_pairs ADD COLUMN created_by VARCHAR;
ALTER TABLE forbidden_pairs ADD COLUMN created_at TIMESTAMP;

CREATE TABLE together_pairs (
    cycle       VARCHAR NOT NULL,
    person_a    INTEGER NOT NULL,         -- the smaller person id
    person_b    INTEGER NOT NULL,
    created_by  VARCHAR,
    created_at  TIMESTAMP,
    PRIMARY KEY (cycle, person_a, person_b)
);

ALTER TABLE meetings ADD COLUMN starts_at TIME;
ALTER TABLE meetings ADD COLUMN minutes INTEGER NOT NULL DEFAULT 60;
ALTER TABLE meetings ADD COLUMN cancelled BOOLEAN NOT NULL DEFAULT false;
