-- +goose NO TRANSACTION
-- +goose Up
-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- one transaction from here (the file runs outside goose's, for the PRAGMA): a crash
-- between the rebuild and the data move must not leave the history rows deleted with
-- their contributions not yet copied
BEGIN;
-- create "new_account_healths" table
CREATE TABLE `new_account_healths` (`id` uuid NOT NULL, `score_id` uuid NOT NULL, `scorecard_id` uuid NOT NULL, `scorecard_version` integer NOT NULL, `computed_score` real NOT NULL, `computed_grade` text NOT NULL, `compute_time` datetime NOT NULL, `change` real NOT NULL DEFAULT (0), `has_change` bool NOT NULL DEFAULT (false), `change_30d` real NOT NULL DEFAULT (0), `has_change_30d` bool NOT NULL DEFAULT (false), `trend` text NOT NULL DEFAULT (''), `score` real NOT NULL, `grade` text NOT NULL, `digest` text NOT NULL DEFAULT (''), `override_id` uuid NULL, `override_expire_time` datetime NULL, `contributions` text NOT NULL DEFAULT (''), `job_id` uuid NULL, PRIMARY KEY (`id`));
-- copy rows from old table "account_healths" to new temporary table "new_account_healths"
INSERT INTO `new_account_healths` (`id`, `score_id`, `scorecard_id`, `scorecard_version`, `computed_score`, `computed_grade`, `compute_time`, `change`, `has_change`, `change_30d`, `has_change_30d`, `trend`, `score`, `grade`, `digest`, `override_id`, `override_expire_time`) SELECT `id`, `score_id`, `scorecard_id`, `scorecard_version`, `computed_score`, `computed_grade`, `compute_time`, `change`, `has_change`, `change_30d`, `has_change_30d`, `trend`, `score`, `grade`, `digest`, `override_id`, `override_expire_time` FROM `account_healths`;
-- drop "account_healths" table after copying rows
DROP TABLE `account_healths`;
-- rename temporary table "new_account_healths" to "account_healths"
ALTER TABLE `new_account_healths` RENAME TO `account_healths`;
-- create index "accounthealth_score_id" to table: "account_healths"
CREATE INDEX `accounthealth_score_id` ON `account_healths` (`score`, `id`);
-- create index "accounthealth_override_expire_time" to table: "account_healths"
CREATE INDEX `accounthealth_override_expire_time` ON `account_healths` (`override_expire_time`) WHERE override_expire_time IS NOT NULL;
-- An account's latest score now lives in its current row (see ent/schema/health.go):
-- its contributions and job move there, and its history row goes.
UPDATE `account_healths` AS c SET `contributions` = h.`contributions`, `job_id` = h.`job_id` FROM `health_scores` AS h WHERE h.`id` = c.`score_id`;
DELETE FROM `health_scores` WHERE `id` IN (SELECT `score_id` FROM `account_healths`);
COMMIT;
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;

-- +goose Down
-- (written by hand: the generated reverse of a table rebuild drops the live indexes and
-- a table that no longer exists)
BEGIN;
-- reverse: the current rows' scores go back into the history
INSERT INTO `health_scores` (`id`, `account_id`, `scorecard_id`, `scorecard_version`, `score`, `grade`, `contributions`, `compute_time`, `job_id`) SELECT `score_id`, `id`, `scorecard_id`, `scorecard_version`, `computed_score`, `computed_grade`, `contributions`, `compute_time`, `job_id` FROM `account_healths` WHERE NOT EXISTS (SELECT 1 FROM `health_scores` AS h WHERE h.`id` = `account_healths`.`score_id`);
-- reverse: the two columns (neither is indexed, so SQLite drops them in place)
ALTER TABLE `account_healths` DROP COLUMN `job_id`;
ALTER TABLE `account_healths` DROP COLUMN `contributions`;
COMMIT;
