-- +goose Up
-- create "label_changes" table
CREATE TABLE "label_changes" ("id" uuid NOT NULL, "account_id" uuid NOT NULL, "from_label" character varying NOT NULL DEFAULT '', "to_label" character varying NOT NULL DEFAULT '', "change_time" timestamptz NOT NULL, "cause" character varying NOT NULL, "rule_key" character varying NOT NULL DEFAULT '', "facts" text NOT NULL DEFAULT '', "actor" character varying NOT NULL DEFAULT '', "reason" text NOT NULL DEFAULT '', "win_back" boolean NOT NULL DEFAULT false, PRIMARY KEY ("id"));
-- create index "labelchange_account_id_change_time_id" to table: "label_changes"
CREATE INDEX "labelchange_account_id_change_time_id" ON "label_changes" ("account_id", "change_time", "id");
-- create "retention_alerts" table
CREATE TABLE "retention_alerts" ("id" uuid NOT NULL, "create_time" timestamptz NOT NULL, "update_time" timestamptz NOT NULL, "revision" bigint NOT NULL DEFAULT 1, "account_id" uuid NOT NULL, "change_id" uuid NOT NULL, "owner" character varying NOT NULL DEFAULT '', "state" character varying NOT NULL, "due_time" timestamptz NOT NULL, "steps" text NOT NULL, "outcome" character varying NOT NULL DEFAULT '', "note" text NOT NULL DEFAULT '', "acknowledge_time" timestamptz NULL, "acknowledged_by" character varying NOT NULL DEFAULT '', "close_time" timestamptz NULL, "closed_by" character varying NOT NULL DEFAULT '', PRIMARY KEY ("id"));
-- create index "retention_alert_one_open" to table: "retention_alerts"
CREATE UNIQUE INDEX "retention_alert_one_open" ON "retention_alerts" ("account_id") WHERE ((state)::text <> 'CLOSED'::text);
-- create index "retentionalert_owner_state_due_time_id" to table: "retention_alerts"
CREATE INDEX "retentionalert_owner_state_due_time_id" ON "retention_alerts" ("owner", "state", "due_time", "id");
-- create index "retentionalert_state_due_time_id" to table: "retention_alerts"
CREATE INDEX "retentionalert_state_due_time_id" ON "retention_alerts" ("state", "due_time", "id");
-- create "retention_policies" table
CREATE TABLE "retention_policies" ("id" character varying NOT NULL, "definition" text NOT NULL, "revision" bigint NOT NULL DEFAULT 1, "updated_by" character varying NOT NULL DEFAULT '', "update_time" timestamptz NOT NULL, PRIMARY KEY ("id"));
-- create "retention_states" table
CREATE TABLE "retention_states" ("id" uuid NOT NULL, "label" character varying NOT NULL DEFAULT '', "since" timestamptz NOT NULL, "rule_label" character varying NOT NULL DEFAULT '', "rule_key" character varying NOT NULL DEFAULT '', "facts" text NOT NULL DEFAULT '', "manual_label" character varying NOT NULL DEFAULT '', "manual_reason" character varying NOT NULL DEFAULT '', "manual_by" character varying NOT NULL DEFAULT '', "manual_set_time" timestamptz NULL, "manual_expire_time" timestamptz NULL, "evaluate_time" timestamptz NOT NULL, PRIMARY KEY ("id"));
-- create index "retentionstate_label_id" to table: "retention_states"
CREATE INDEX "retentionstate_label_id" ON "retention_states" ("label", "id");
-- create index "retentionstate_manual_expire_time" to table: "retention_states"
CREATE INDEX "retentionstate_manual_expire_time" ON "retention_states" ("manual_expire_time") WHERE (manual_expire_time IS NOT NULL);

-- +goose Down
-- reverse: create index "retentionstate_manual_expire_time" to table: "retention_states"
DROP INDEX "retentionstate_manual_expire_time";
-- reverse: create index "retentionstate_label_id" to table: "retention_states"
DROP INDEX "retentionstate_label_id";
-- reverse: create "retention_states" table
DROP TABLE "retention_states";
-- reverse: create "retention_policies" table
DROP TABLE "retention_policies";
-- reverse: create index "retentionalert_state_due_time_id" to table: "retention_alerts"
DROP INDEX "retentionalert_state_due_time_id";
-- reverse: create index "retentionalert_owner_state_due_time_id" to table: "retention_alerts"
DROP INDEX "retentionalert_owner_state_due_time_id";
-- reverse: create index "retention_alert_one_open" to table: "retention_alerts"
DROP INDEX "retention_alert_one_open";
-- reverse: create "retention_alerts" table
DROP TABLE "retention_alerts";
-- reverse: create index "labelchange_account_id_change_time_id" to table: "label_changes"
DROP INDEX "labelchange_account_id_change_time_id";
-- reverse: create "label_changes" table
DROP TABLE "label_changes";
