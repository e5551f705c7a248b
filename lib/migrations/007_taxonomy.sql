-- The committee keeps the taxonomy in the app. A typed 'other' skill it decides is not a skill is dismissed
-- here, under its normalised key (lib.skills.dismissal_key), so no spelling of it is proposed again; the
-- answers keep it as typed.
CREATE TABLE skill_dismissals (
    key          VARCHAR PRIMARY KEY,     -- normalised: case, accents, punctuation and spaces ignored
    text         VARCHAR NOT NULL,        -- as the committee saw it
    dismissed_by VARCHAR NOT NULL,
    dismissed_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
