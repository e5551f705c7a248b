-- Failed logins counted per username and client address, so that a stranger typing wrong passwords for a
-- username locks only their own address out of it. The row with client '*' counts every address's failures
-- for the username, so guessing spread over many addresses still stops, at a higher limit. The counts are
-- short-lived by nature: this migration starts them afresh.
DROP TABLE login_failures;
CREATE TABLE login_failures (
    username        VARCHAR NOT NULL,          -- as typed, trimmed and lowercased
    client          VARCHAR NOT NULL DEFAULT '*', -- the address the attempts came from, or '*' for all of them
    failures        INTEGER NOT NULL DEFAULT 0,
    last_failed_at  TIMESTAMP,
    locked_until    TIMESTAMP,
    PRIMARY KEY (username, client)
);
