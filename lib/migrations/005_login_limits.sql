-- Failed logins per typed username (whether or not such a user exists, so the answer never tells),
-- kept in the database so that a new browser session or a restart does not reset them.
CREATE TABLE login_failures (
    username    VARCHAR PRIMARY KEY,      -- as typed, trimmed and lowercased
    failures    INTEGER NOT NULL DEFAULT 0,
    last_failed_at TIMESTAMP,
    locked_until TIMESTAMP
);
