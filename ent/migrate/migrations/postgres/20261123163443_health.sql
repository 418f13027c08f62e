-- +goose Up
-- create "account_healths" table
CREATE TABLE "account_healths" ("id" uuid NOT NULL, "score_id" uuid NOT NULL, "scorecard_id" uuid NOT NULL, "scorecard_version" bigint NOT NULL, "computed_score" double precision NOT NULL, "computed_grade" character varying NOT NULL, "compute_time" timestamptz NOT NULL, "change" double precision NOT NULL DEFAULT 0, "has_change" boolean NOT NULL DEFAULT false, "change_30d" double precision NOT NULL DEFAULT 0, "has_change_30d" boolean NOT NULL DEFAULT false, "trend" character varying NOT NULL DEFAULT '', "score" double precision NOT NULL, "grade" character varying NOT NULL, "digest" character varying NOT NULL DEFAULT '', "override_id" uuid NULL, "override_expire_time" timestamptz NULL, PRIMARY KEY ("id"));
-- create index "accounthealth_override_expire_time" to table: "account_healths"
CREATE INDEX "accounthealth_override_expire_time" ON "account_healths" ("override_expire_time") WHERE (override_expire_time IS NOT NULL);
-- create index "accounthealth_score_id" to table: "account_healths"
CREATE INDEX "accounthealth_score_id" ON "account_healths" ("score", "id");
-- create "health_dirties" table
CREATE TABLE "health_dirties" ("id" uuid NOT NULL, "due_time" timestamptz NOT NULL, PRIMARY KEY ("id"));
-- create index "healthdirty_due_time" to table: "health_dirties"
CREATE INDEX "healthdirty_due_time" ON "health_dirties" ("due_time");
-- create "health_overrides" table
CREATE TABLE "health_overrides" ("id" uuid NOT NULL, "account_id" uuid NOT NULL, "score" double precision NULL, "grade" character varying NOT NULL, "reason" text NOT NULL, "actor" character varying NOT NULL, "set_time" timestamptz NOT NULL, "expire_time" timestamptz NULL, "end_time" timestamptz NULL, "ended_by" character varying NOT NULL DEFAULT '', "end_reason" text NOT NULL DEFAULT '', PRIMARY KEY ("id"));
-- create index "healthoverride_account_id_set_time" to table: "health_overrides"
CREATE INDEX "healthoverride_account_id_set_time" ON "health_overrides" ("account_id", "set_time");
-- create "health_scores" table
CREATE TABLE "health_scores" ("id" uuid NOT NULL, "account_id" uuid NOT NULL, "scorecard_id" uuid NOT NULL, "scorecard_version" bigint NOT NULL, "score" double precision NOT NULL, "grade" character varying NOT NULL, "contributions" text NOT NULL, "compute_time" timestamptz NOT NULL, "job_id" uuid NULL, PRIMARY KEY ("id"));
-- create index "healthscore_account_id_compute_time_id" to table: "health_scores"
CREATE INDEX "healthscore_account_id_compute_time_id" ON "health_scores" ("account_id", "compute_time", "id");
-- create index "healthscore_job_id_account_id" to table: "health_scores"
CREATE UNIQUE INDEX "healthscore_job_id_account_id" ON "health_scores" ("job_id", "account_id");
-- create "recompute_jobs" table
CREATE TABLE "recompute_jobs" ("id" uuid NOT NULL, "filter" text NOT NULL DEFAULT '', "state" character varying NOT NULL, "compute_time" timestamptz NOT NULL, "total_accounts" bigint NOT NULL DEFAULT 0, "processed_accounts" bigint NOT NULL DEFAULT 0, "changed_scores" bigint NOT NULL DEFAULT 0, "no_data_accounts" bigint NOT NULL DEFAULT 0, "error" text NOT NULL DEFAULT '', "creator" character varying NOT NULL DEFAULT '', "cursor" uuid NULL, "cancel_requested" boolean NOT NULL DEFAULT false, "lease_owner" character varying NOT NULL DEFAULT '', "lease_expire_time" timestamptz NULL, "create_time" timestamptz NOT NULL, "update_time" timestamptz NOT NULL, "end_time" timestamptz NULL, PRIMARY KEY ("id"));
-- create index "recomputejob_state_lease_expire_time" to table: "recompute_jobs"
CREATE INDEX "recomputejob_state_lease_expire_time" ON "recompute_jobs" ("state", "lease_expire_time");
-- create "scorecards" table
CREATE TABLE "scorecards" ("id" uuid NOT NULL, "create_time" timestamptz NOT NULL, "update_time" timestamptz NOT NULL, "revision" bigint NOT NULL DEFAULT 1, "display_name" character varying NOT NULL, "description" character varying NOT NULL DEFAULT '', "is_default" boolean NOT NULL DEFAULT false, "segment_tiers" jsonb NULL, "segment_industries" jsonb NULL, "version" bigint NOT NULL, PRIMARY KEY ("id"));
-- create index "scorecard_one_default" to table: "scorecards"
CREATE UNIQUE INDEX "scorecard_one_default" ON "scorecards" ("is_default") WHERE is_default;
-- create "scorecard_versions" table
CREATE TABLE "scorecard_versions" ("id" uuid NOT NULL, "scorecard_id" uuid NOT NULL, "version" bigint NOT NULL, "definition" text NOT NULL, "create_time" timestamptz NOT NULL, PRIMARY KEY ("id"));
-- create index "scorecardversion_scorecard_id_version" to table: "scorecard_versions"
CREATE UNIQUE INDEX "scorecardversion_scorecard_id_version" ON "scorecard_versions" ("scorecard_id", "version");
-- create "signals" table
CREATE TABLE "signals" ("id" uuid NOT NULL, "account_id" uuid NOT NULL, "measure" character varying NOT NULL, "value_micros" bigint NOT NULL, "time" timestamptz NOT NULL, "source" character varying NOT NULL DEFAULT '', "signal_id" character varying NOT NULL, "create_time" timestamptz NOT NULL, PRIMARY KEY ("id"));
-- create index "signal_account_id_source_signal_id" to table: "signals"
CREATE UNIQUE INDEX "signal_account_id_source_signal_id" ON "signals" ("account_id", "source", "signal_id");
-- create index "signal_scoring" to table: "signals"
CREATE INDEX "signal_scoring" ON "signals" ("account_id", "measure", "time", "value_micros", "id");
-- create "worker_cursors" table
CREATE TABLE "worker_cursors" ("id" character varying NOT NULL, "position" bigint NOT NULL DEFAULT 0, PRIMARY KEY ("id"));

-- +goose Down
-- reverse: create "worker_cursors" table
DROP TABLE "worker_cursors";
-- reverse: create index "signal_scoring" to table: "signals"
DROP INDEX "signal_scoring";
-- reverse: create index "signal_account_id_source_signal_id" to table: "signals"
DROP INDEX "signal_account_id_source_signal_id";
-- reverse: create "signals" table
DROP TABLE "signals";
-- reverse: create index "scorecardversion_scorecard_id_version" to table: "scorecard_versions"
DROP INDEX "scorecardversion_scorecard_id_version";
-- reverse: create "scorecard_versions" table
DROP TABLE "scorecard_versions";
-- reverse: create index "scorecard_one_default" to table: "scorecards"
DROP INDEX "scorecard_one_default";
-- reverse: create "scorecards" table
DROP TABLE "scorecards";
-- reverse: create index "recomputejob_state_lease_expire_time" to table: "recompute_jobs"
DROP INDEX "recomputejob_state_lease_expire_time";
-- reverse: create "recompute_jobs" table
DROP TABLE "recompute_jobs";
-- reverse: create index "healthscore_job_id_account_id" to table: "health_scores"
DROP INDEX "healthscore_job_id_account_id";
-- reverse: create index "healthscore_account_id_compute_time_id" to table: "health_scores"
DROP INDEX "healthscore_account_id_compute_time_id";
-- reverse: create "health_scores" table
DROP TABLE "health_scores";
-- reverse: create index "healthoverride_account_id_set_time" to table: "health_overrides"
DROP INDEX "healthoverride_account_id_set_time";
-- reverse: create "health_overrides" table
DROP TABLE "health_overrides";
-- reverse: create index "healthdirty_due_time" to table: "health_dirties"
DROP INDEX "healthdirty_due_time";
-- reverse: create "health_dirties" table
DROP TABLE "health_dirties";
-- reverse: create index "accounthealth_score_id" to table: "account_healths"
DROP INDEX "accounthealth_score_id";
-- reverse: create index "accounthealth_override_expire_time" to table: "account_healths"
DROP INDEX "accounthealth_override_expire_time";
-- reverse: create "account_healths" table
DROP TABLE "account_healths";
