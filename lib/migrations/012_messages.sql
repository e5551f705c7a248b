-- Messages the committee sends from the dashboard: the templates it edits per program year (versioned,
-- like the report's sections), the year's survey address, and one log row per recipient and message, so
-- nothing goes out twice and every failure can be retried.
CREATE SEQUENCE seq_messages START 1;

CREATE TABLE message_templates (
    cycle       VARCHAR NOT NULL,
    template    VARCHAR NOT NULL,         -- placed, waitlisted, not_eligible, survey, check_in_member, ...
    subject     VARCHAR NOT NULL,
    body        VARCHAR NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,  -- 0 is the built-in default, never stored
    updated_by  VARCHAR,
    updated_at  TIMESTAMP,
    PRIMARY KEY (cycle, template)
);

CREATE TABLE message_settings (
    cycle       VARCHAR PRIMARY KEY,
    survey_url  VARCHAR,                  -- the end-of-year survey's address
    version     INTEGER NOT NULL DEFAULT 1,
    updated_by  VARCHAR,
    updated_at  TIMESTAMP
);

-- One row per message of a year: a kind, the person it is about, and who it goes to (the person, or their
-- circle's facilitator). 'sending' is written before the mail server is asked, so a send interrupted
-- between the server's acceptance and the record is never repeated by itself.
CREATE TABLE messages (
    id          INTEGER PRIMARY KEY DEFAULT nextval('seq_messages'),
    cycle       VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,         -- decisions, survey, check-in
    person_id   INTEGER NOT NULL,         -- -> people: whom the message is about
    audience    VARCHAR NOT NULL,         -- member, facilitator
    template    VARCHAR NOT NULL,
    template_version INTEGER NOT NULL,
    recipient   VARCHAR NOT NULL,         -- the address it went to
    subject     VARCHAR NOT NULL,
    message_id  VARCHAR,                  -- the Message-ID header
    status      VARCHAR NOT NULL,         -- sending, sent, failed
    reason      VARCHAR,                  -- why it failed, in words
    attempts    INTEGER NOT NULL DEFAULT 1,
    updated_by  VARCHAR NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    sent_at     TIMESTAMP,
    version     INTEGER NOT NULL DEFAULT 1,
    UNIQUE (cycle, kind, person_id, audience)
);
