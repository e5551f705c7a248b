-- person_skills gets about ten rows per survey answer (a million for a 100,000-row import).
-- Its primary-key index cost more to build and store than the table itself; inserts already
-- select DISTINCT pairs, and a test checks there are no duplicates.
CREATE TABLE person_skills_unindexed AS SELECT response_id, skill_id FROM person_skills;
DROP TABLE person_skills;
ALTER TABLE person_skills_unindexed RENAME TO person_skills;
