-- Login cookies carry the user's token version; logging out, changing the password or removing the user
-- moves it on, so every cookie issued before stops working on the server, wherever it was copied to.
ALTER TABLE users ADD COLUMN token_version INTEGER DEFAULT 1;
UPDATE users SET token_version = 1 WHERE token_version IS NULL;
