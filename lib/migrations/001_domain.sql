-- The whole domain of the ALI Mentorship Committee programs.
-- Foreign keys are documented in comments rather than declared: DuckDB checks
-- them eagerly inside a transaction, which breaks legitimate delete-and-reinsert
-- patterns (undoing an import batch); integrity is enforced in lib/ and tested.

CREATE SEQUENCE seq_institutions START 1;
CREATE SEQUENCE seq_people START 1;
CREATE SEQUENCE seq_skills START 1;
CREATE SEQUENCE seq_batches START 1;
CREATE SEQUENCE seq_survey_responses START 1;
CREATE SEQUENCE seq_applications START 1;
CREATE SEQUENCE seq_drafts START 1;
CREATE SEQUENCE seq_circles START 1;
CREATE SEQUENCE seq_meetings START 1;
CREATE SEQUENCE seq_outcomes START 1;
CREATE SEQUENCE seq_audit START 1;

CREATE TABLE counties (
    county_fips VARCHAR PRIMARY KEY,      -- '18097'
    county      VARCHAR NOT NULL UNIQUE,  -- 'Marion'
    latitude    DOUBLE,
    longitude   DOUBLE,
    region      VARCHAR NOT NULL          -- see docs/regions.md
);

CREATE TABLE institutions (
    id          INTEGER PRIMARY KEY DEFAULT nextval('seq_institutions'),
    name        VARCHAR NOT NULL UNIQUE,
    aliases     VARCHAR[] NOT NULL DEFAULT [],
    city        VARCHAR,
    county      VARCHAR,
    county_fips VARCHAR,                  -- -> counties
    latitude    DOUBLE,
    longitude   DOUBLE,
    type        VARCHAR,                  -- public, private, seminary, health sciences, community college
    region      VARCHAR,
    needs_review BOOLEAN NOT NULL DEFAULT false,  -- created from an unknown name in an import
    version     INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE people (
    id          INTEGER PRIMARY KEY DEFAULT nextval('seq_people'),
    email       VARCHAR NOT NULL UNIQUE,  -- trimmed, lowercased: the person key
    name        VARCHAR,
    institution_id INTEGER,               -- -> institutions, as first seen
    batch_id    INTEGER,                  -- the import that first met this person (undo removes them)
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    version     INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE cycles (
    name        VARCHAR PRIMARY KEY,      -- '2024-25'
    starts_on   DATE NOT NULL,            -- September 1
    ends_on     DATE NOT NULL,            -- August 31
    application_deadline DATE NOT NULL    -- October 1
);

CREATE TABLE skills (
    id          INTEGER PRIMARY KEY DEFAULT nextval('seq_skills'),
    name        VARCHAR NOT NULL UNIQUE,
    category    VARCHAR,
    aliases     VARCHAR[] NOT NULL DEFAULT [],
    proposed    BOOLEAN NOT NULL DEFAULT false, -- came from an 'Other' answer, awaiting review
    version     INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE import_batches (
    id          INTEGER PRIMARY KEY DEFAULT nextval('seq_batches'),
    kind        VARCHAR NOT NULL,         -- skills, applications, attendance, outcomes, rosters
    cycle       VARCHAR,                  -- -> cycles
    file_name   VARCHAR NOT NULL,
    file_hash   VARCHAR NOT NULL,         -- sha256 of the uploaded bytes
    mapping     JSON,                     -- header -> field used
    created_by  VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    rows_read   INTEGER NOT NULL DEFAULT 0,
    new_count   INTEGER NOT NULL DEFAULT 0,
    updated_count INTEGER NOT NULL DEFAULT 0,
    unchanged_count INTEGER NOT NULL DEFAULT 0,
    warnings    JSON,
    undone_at   TIMESTAMP,
    undone_by   VARCHAR
);

-- One row per submitted form; the latest per person and cycle is current.
CREATE TABLE survey_responses (
    id          INTEGER PRIMARY KEY DEFAULT nextval('seq_survey_responses'),
    person_id   INTEGER NOT NULL,         -- -> people
    cycle       VARCHAR NOT NULL,         -- -> cycles
    batch_id    INTEGER,                  -- -> import_batches
    submitted_at TIMESTAMP NOT NULL,
    name        VARCHAR,
    institution_id INTEGER,               -- -> institutions
    institution_raw VARCHAR,
    job_title   VARCHAR,
    department  VARCHAR,
    years_in_profession INTEGER,
    contact_purposes VARCHAR[] NOT NULL DEFAULT [],  -- support, discussion, feedback, collaboration
    contact_method VARCHAR,
    consent     BOOLEAN NOT NULL DEFAULT false,
    other_skills VARCHAR[] NOT NULL DEFAULT [],      -- free-text 'Other' answers
    UNIQUE (person_id, cycle, submitted_at)
);

CREATE TABLE person_skills (
    response_id INTEGER NOT NULL,         -- -> survey_responses
    skill_id    INTEGER NOT NULL,         -- -> skills
    PRIMARY KEY (response_id, skill_id)
);

CREATE TABLE applications (
    id          INTEGER PRIMARY KEY DEFAULT nextval('seq_applications'),
    person_id   INTEGER NOT NULL,         -- -> people
    cycle       VARCHAR NOT NULL,         -- -> cycles
    batch_id    INTEGER,                  -- -> import_batches
    submitted_at TIMESTAMP NOT NULL,
    name        VARCHAR,
    institution_id INTEGER,
    institution_raw VARCHAR,
    job_title   VARCHAR,
    career_stage VARCHAR,                 -- as answered
    months_in_profession INTEGER,         -- NULL for students
    is_student  BOOLEAN NOT NULL DEFAULT false,
    eligible    BOOLEAN NOT NULL DEFAULT false,  -- within 3 years, or a library-school student
    late        BOOLEAN NOT NULL DEFAULT false,  -- after the cycle's deadline
    interests   VARCHAR[] NOT NULL DEFAULT [],
    goals       VARCHAR,
    format      VARCHAR,                  -- virtual, in person, either
    availability VARCHAR[] NOT NULL DEFAULT [],  -- slots like 'mon-am'
    agreement   BOOLEAN NOT NULL DEFAULT false,
    comments    VARCHAR,
    status      VARCHAR NOT NULL DEFAULT 'applied', -- applied, placed, waitlisted, withdrawn, declined
    version     INTEGER NOT NULL DEFAULT 1,
    UNIQUE (person_id, cycle, submitted_at)
);

-- Alternative groupings of one cycle's applicants; one may be final.
CREATE TABLE circle_drafts (
    id          INTEGER PRIMARY KEY DEFAULT nextval('seq_drafts'),
    cycle       VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    status      VARCHAR NOT NULL DEFAULT 'draft',  -- draft, final
    weights     JSON,
    batch_id    INTEGER,                  -- set when imported from a roster sheet
    created_by  VARCHAR,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    version     INTEGER NOT NULL DEFAULT 1,
    UNIQUE (cycle, name)
);

CREATE TABLE circles (
    id          INTEGER PRIMARY KEY DEFAULT nextval('seq_circles'),
    draft_id    INTEGER NOT NULL,         -- -> circle_drafts
    cycle       VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    format      VARCHAR,
    meeting_slot VARCHAR,
    version     INTEGER NOT NULL DEFAULT 1,
    UNIQUE (draft_id, name)
);

CREATE TABLE circle_members (
    circle_id   INTEGER NOT NULL,         -- -> circles
    person_id   INTEGER NOT NULL,         -- -> people
    pinned      BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (circle_id, person_id)
);

-- Pairs the committee forbids in one circle, per cycle.
CREATE TABLE forbidden_pairs (
    cycle       VARCHAR NOT NULL,
    person_a    INTEGER NOT NULL,
    person_b    INTEGER NOT NULL,
    PRIMARY KEY (cycle, person_a, person_b)
);

CREATE TABLE meetings (
    id          INTEGER PRIMARY KEY DEFAULT nextval('seq_meetings'),
    circle_id   INTEGER NOT NULL,         -- -> circles
    cycle       VARCHAR NOT NULL,
    month       VARCHAR NOT NULL,         -- Oct ... May
    seq         INTEGER NOT NULL,         -- 1..8 in program order
    kind        VARCHAR NOT NULL DEFAULT 'monthly',  -- orientation, monthly
    held_on     DATE,
    UNIQUE (circle_id, seq, kind)
);

CREATE TABLE attendance (
    meeting_id  INTEGER NOT NULL,         -- -> meetings
    person_id   INTEGER NOT NULL,         -- -> people
    status      VARCHAR NOT NULL,         -- present, absent, excused
    batch_id    INTEGER,
    previous_status VARCHAR,              -- what an import replaced, so undo can restore it
    previous_batch_id INTEGER,
    PRIMARY KEY (meeting_id, person_id)
);

CREATE TABLE outcome_responses (
    id          INTEGER PRIMARY KEY DEFAULT nextval('seq_outcomes'),
    cycle       VARCHAR NOT NULL,
    person_id   INTEGER,                  -- NULL when the survey was anonymous
    batch_id    INTEGER,
    submitted_at TIMESTAMP NOT NULL,
    met_goals   VARCHAR,                  -- yes, no, partially
    participate_again VARCHAR,            -- yes, no, maybe
    satisfaction INTEGER,                 -- 1..5
    comments    VARCHAR,
    consent_to_quote BOOLEAN NOT NULL DEFAULT false
);

-- Confirmed header->field mappings, remembered per set of headers.
CREATE TABLE column_mappings (
    kind        VARCHAR NOT NULL,
    headers_key VARCHAR NOT NULL,         -- sha256 of the normalised header row
    mapping     JSON NOT NULL,
    saved_by    VARCHAR,
    saved_at    TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (kind, headers_key)
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY DEFAULT nextval('seq_audit'),
    happened_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    actor       VARCHAR NOT NULL,
    action      VARCHAR NOT NULL,
    entity      VARCHAR,
    entity_id   VARCHAR,
    detail      JSON
);

CREATE TABLE users (
    username    VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    email       VARCHAR,
    password_hash VARCHAR NOT NULL,       -- bcrypt
    role        VARCHAR NOT NULL,         -- admin, committee
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    version     INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE settings (
    key         VARCHAR PRIMARY KEY,
    value       JSON NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
