-- Eligibility for a Peer Mentorship Circle is one rule computed when read (lib/applications.py): within the
-- first 3 years or a library-school student, submitted by the cycle's deadline (editable per cycle), and
-- agreed to the expectations. The flags the importer stored at import time went stale when a deadline
-- changed and ignored the agreement, so they go. What the committee decides against the rule is kept here,
-- with its reason, who and when; a cleared override keeps its row (eligible NULL) so the version only grows.
CREATE TABLE eligibility_overrides (
    cycle       VARCHAR NOT NULL,         -- -> cycles
    person_id   INTEGER NOT NULL,         -- -> people
    eligible    BOOLEAN,                  -- NULL: cleared, the rule decides again
    reason      VARCHAR NOT NULL,
    decided_by  VARCHAR NOT NULL,
    decided_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    version     INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (cycle, person_id)
);
ALTER TABLE applications DROP COLUMN eligible;
ALTER TABLE applications DROP COLUMN late;
