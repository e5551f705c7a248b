-- Survey answers the importer finds suspicious (text a spreadsheet would run as a formula, markup in a
-- field) are held out of the public directory and every export until a committee member approves or
-- corrects them. held_reason stays as a record once reviewed.
ALTER TABLE survey_responses ADD COLUMN held_reason VARCHAR;
ALTER TABLE survey_responses ADD COLUMN reviewed_by VARCHAR;
ALTER TABLE survey_responses ADD COLUMN reviewed_at TIMESTAMP;
ALTER TABLE survey_responses ADD COLUMN version INTEGER DEFAULT 1;
UPDATE survey_responses SET version = 1 WHERE version IS NULL;
