-- +goose Up
-- create "account_healths" table
CREATE TABLE `account_healths` (`id` uuid NOT NULL, `score_id` uuid NOT NULL, `scorecard_id` uuid NOT NULL, `scorecard_version` integer NOT NULL, `computed_score` real NOT NULL, `computed_grade` text NOT NULL, `compute_time` datetime NOT NULL, `change` real NOT NULL DEFAULT (0), `has_change` bool NOT NULL DEFAULT (false), `change_30d` real NOT NULL DEFAULT (0), `has_change_30d` bool NOT NULL DEFAULT (false), `trend` text NOT NULL DEFAULT (''), `score` real NOT NULL, `grade` text NOT NULL, `digest` text NOT NULL DEFAULT (''), `override_id` uuid NULL, `override_expire_time` datetime NULL, PRIMARY KEY (`id`));
-- create index "accounthealth_score_id" to table: "account_healths"
CREATE INDEX `accounthealth_score_id` ON `account_healths` (`score`, `id`);
-- create index "accounthealth_override_expire_time" to table: "account_healths"
CREATE INDEX `accounthealth_override_expire_time` ON `account_healths` (`override_expire_time`) WHERE override_expire_time IS NOT NULL;
-- create "health_dirties" table
CREATE TABLE `health_dirties` (`id` uuid NOT NULL, `due_time` datetime NOT NULL, PRIMARY KEY (`id`));
-- create index "healthdirty_due_time" to table: "health_dirties"
CREATE INDEX `healthdirty_due_time` ON `health_dirties` (`due_time`);
-- create "health_overrides" table
CREATE TABLE `health_overrides` (`id` uuid NOT NULL, `account_id` uuid NOT NULL, `score` real NULL, `grade` text NOT NULL, `reason` text NOT NULL, `actor` text NOT NULL, `set_time` datetime NOT NULL, `expire_time` datetime NULL, `end_time` datetime NULL, `ended_by` text NOT NULL DEFAULT (''), `end_reason` text NOT NULL DEFAULT (''), PRIMARY KEY (`id`));
-- create index "healthoverride_account_id_set_time" to table: "health_overrides"
CREATE INDEX `healthoverride_account_id_set_time` ON `health_overrides` (`account_id`, `set_time`);
-- create "health_scores" table
CREATE TABLE `health_scores` (`id` uuid NOT NULL, `account_id` uuid NOT NULL, `scorecard_id` uuid NOT NULL, `scorecard_version` integer NOT NULL, `score` real NOT NULL, `grade` text NOT NULL, `contributions` text NOT NULL, `compute_time` datetime NOT NULL, `job_id` uuid NULL, PRIMARY KEY (`id`));
-- create index "healthscore_account_id_compute_time_id" to table: "health_scores"
CREATE INDEX `healthscore_account_id_compute_time_id` ON `health_scores` (`account_id`, `compute_time`, `id`);
-- create index "healthscore_job_id_account_id" to table: "health_scores"
CREATE UNIQUE INDEX `healthscore_job_id_account_id` ON `health_scores` (`job_id`, `account_id`);
-- create "recompute_jobs" table
CREATE TABLE `recompute_jobs` (`id` uuid NOT NULL, `filter` text NOT NULL DEFAULT (''), `state` text NOT NULL, `compute_time` datetime NOT NULL, `total_accounts` integer NOT NULL DEFAULT (0), `processed_accounts` integer NOT NULL DEFAULT (0), `changed_scores` integer NOT NULL DEFAULT (0), `no_data_accounts` integer NOT NULL DEFAULT (0), `error` text NOT NULL DEFAULT (''), `creator` text NOT NULL DEFAULT (''), `cursor` uuid NULL, `cancel_requested` bool NOT NULL DEFAULT (false), `lease_owner` text NOT NULL DEFAULT (''), `lease_expire_time` datetime NULL, `create_time` datetime NOT NULL, `update_time` datetime NOT NULL, `end_time` datetime NULL, PRIMARY KEY (`id`));
-- create index "recomputejob_state_lease_expire_time" to table: "recompute_jobs"
CREATE INDEX `recomputejob_state_lease_expire_time` ON `recompute_jobs` (`state`, `lease_expire_time`);
-- create "scorecards" table
CREATE TABLE `scorecards` (`id` uuid NOT NULL, `create_time` datetime NOT NULL, `update_time` datetime NOT NULL, `revision` integer NOT NULL DEFAULT (1), `display_name` text NOT NULL, `description` text NOT NULL DEFAULT (''), `is_default` bool NOT NULL DEFAULT (false), `segment_tiers` json NULL, `segment_industries` json NULL, `version` integer NOT NULL, PRIMARY KEY (`id`));
-- create index "scorecard_one_default" to table: "scorecards"
CREATE UNIQUE INDEX `scorecard_one_default` ON `scorecards` (`is_default`) WHERE is_default;
-- create "scorecard_versions" table
CREATE TABLE `scorecard_versions` (`id` uuid NOT NULL, `scorecard_id` uuid NOT NULL, `version` integer NOT NULL, `definition` text NOT NULL, `create_time` datetime NOT NULL, PRIMARY KEY (`id`));
-- create index "scorecardversion_scorecard_id_version" to table: "scorecard_versions"
CREATE UNIQUE INDEX `scorecardversion_scorecard_id_version` ON `scorecard_versions` (`scorecard_id`, `version`);
-- create "signals" table
CREATE TABLE `signals` (`id` uuid NOT NULL, `account_id` uuid NOT NULL, `measure` text NOT NULL, `value_micros` integer NOT NULL, `time` datetime NOT NULL, `source` text NOT NULL DEFAULT (''), `signal_id` text NOT NULL, `create_time` datetime NOT NULL, PRIMARY KEY (`id`));
-- create index "signal_account_id_source_signal_id" to table: "signals"
CREATE UNIQUE INDEX `signal_account_id_source_signal_id` ON `signals` (`account_id`, `source`, `signal_id`);
-- create index "signal_scoring" to table: "signals"
CREATE INDEX `signal_scoring` ON `signals` (`account_id`, `measure`, `time`, `value_micros`, `id`);
-- create "worker_cursors" table
CREATE TABLE `worker_cursors` (`id` text NOT NULL, `position` integer NOT NULL DEFAULT (0), PRIMARY KEY (`id`));

-- +goose Down
-- reverse: create "worker_cursors" table
DROP TABLE `worker_cursors`;
-- reverse: create index "signal_scoring" to table: "signals"
DROP INDEX `signal_scoring`;
-- reverse: create index "signal_account_id_source_signal_id" to table: "signals"
DROP INDEX `signal_account_id_source_signal_id`;
-- reverse: create "signals" table
DROP TABLE `signals`;
-- reverse: create index "scorecardversion_scorecard_id_version" to table: "scorecard_versions"
DROP INDEX `scorecardversion_scorecard_id_version`;
-- reverse: create "scorecard_versions" table
DROP TABLE `scorecard_versions`;
-- reverse: create index "scorecard_one_default" to table: "scorecards"
DROP INDEX `scorecard_one_default`;
-- reverse: create "scorecards" table
DROP TABLE `scorecards`;
-- reverse: create index "recomputejob_state_lease_expire_time" to table: "recompute_jobs"
DROP INDEX `recomputejob_state_lease_expire_time`;
-- reverse: create "recompute_jobs" table
DROP TABLE `recompute_jobs`;
-- reverse: create index "healthscore_job_id_account_id" to table: "health_scores"
DROP INDEX `healthscore_job_id_account_id`;
-- reverse: create index "healthscore_account_id_compute_time_id" to table: "health_scores"
DROP INDEX `healthscore_account_id_compute_time_id`;
-- reverse: create "health_scores" table
DROP TABLE `health_scores`;
-- reverse: create index "healthoverride_account_id_set_time" to table: "health_overrides"
DROP INDEX `healthoverride_account_id_set_time`;
-- reverse: create "health_overrides" table
DROP TABLE `health_overrides`;
-- reverse: create index "healthdirty_due_time" to table: "health_dirties"
DROP INDEX `healthdirty_due_time`;
-- reverse: create "health_dirties" table
DROP TABLE `health_dirties`;
-- reverse: create index "accounthealth_override_expire_time" to table: "account_healths"
DROP INDEX `accounthealth_override_expire_time`;
-- reverse: create index "accounthealth_score_id" to table: "account_healths"
DROP INDEX `accounthealth_score_id`;
-- reverse: create "account_healths" table
DROP TABLE `account_healths`;
