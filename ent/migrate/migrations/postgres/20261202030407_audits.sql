-- +goose Up
-- create "audit_cases" table
CREATE TABLE "audit_cases" ("id" uuid NOT NULL, "account_id" uuid NOT NULL, "source" character varying NOT NULL, "source_ref" character varying NOT NULL DEFAULT '', "severity" character varying NOT NULL, "standard" character varying NOT NULL, "description" text NOT NULL DEFAULT '', "department" character varying NOT NULL, "person" character varying NOT NULL DEFAULT '', "auditor" character varying NOT NULL DEFAULT '', "state" character varying NOT NULL, "green_channel" boolean NOT NULL DEFAULT false, "paused" boolean NOT NULL DEFAULT false, "due_time" timestamptz NULL, "resolve_time" timestamptz NULL, "close_time" timestamptz NULL, "reopens" bigint NOT NULL DEFAULT 0, "linked_case" uuid NULL, "root_cause" character varying NOT NULL DEFAULT '', "root_cause_text" text NOT NULL DEFAULT '', "accountable_department" character varying NOT NULL DEFAULT '', "accountable_person" character varying NOT NULL DEFAULT '', "actions" text NOT NULL DEFAULT '', "dispatches" text NOT NULL DEFAULT '', "resolution" text NOT NULL DEFAULT '', "open_time" timestamptz NOT NULL, "update_time" timestamptz NOT NULL, "revision" bigint NOT NULL DEFAULT 1, PRIMARY KEY ("id"));
-- create index "auditcase_account_id_source_open_time" to table: "audit_cases"
CREATE INDEX "auditcase_account_id_source_open_time" ON "audit_cases" ("account_id", "source", "open_time");
-- create index "auditcase_department_open_time" to table: "audit_cases"
CREATE INDEX "auditcase_department_open_time" ON "audit_cases" ("department", "open_time");
-- create index "auditcase_open_time_id" to table: "audit_cases"
CREATE INDEX "auditcase_open_time_id" ON "audit_cases" ("open_time", "id");
-- create index "auditcase_state_due_time" to table: "audit_cases"
CREATE INDEX "auditcase_state_due_time" ON "audit_cases" ("state", "due_time");
-- create "audit_departments" table
CREATE TABLE "audit_departments" ("id" character varying NOT NULL, "display_name" character varying NOT NULL, "calendar" text NOT NULL DEFAULT '', "create_time" timestamptz NOT NULL, "update_time" timestamptz NOT NULL, "revision" bigint NOT NULL DEFAULT 1, PRIMARY KEY ("id"));
-- create "audit_events" table
CREATE TABLE "audit_events" ("id" uuid NOT NULL, "case_id" uuid NOT NULL, "kind" character varying NOT NULL, "time" timestamptz NOT NULL, "actor" character varying NOT NULL DEFAULT '', "detail" text NOT NULL DEFAULT '', PRIMARY KEY ("id"));
-- create index "auditevent_case_id_time_id" to table: "audit_events"
CREATE INDEX "auditevent_case_id_time_id" ON "audit_events" ("case_id", "time", "id");
-- create "audit_settings" table
CREATE TABLE "audit_settings" ("id" character varying NOT NULL, "policy" text NOT NULL, PRIMARY KEY ("id"));
-- create "audit_standards" table
CREATE TABLE "audit_standards" ("id" character varying NOT NULL, "display_name" character varying NOT NULL, "stage" character varying NOT NULL, "department" character varying NOT NULL, "targets" text NOT NULL, "create_time" timestamptz NOT NULL, "update_time" timestamptz NOT NULL, "revision" bigint NOT NULL DEFAULT 1, PRIMARY KEY ("id"));

-- +goose Down
-- reverse: create "audit_standards" table
DROP TABLE "audit_standards";
-- reverse: create "audit_settings" table
DROP TABLE "audit_settings";
-- reverse: create index "auditevent_case_id_time_id" to table: "audit_events"
DROP INDEX "auditevent_case_id_time_id";
-- reverse: create "audit_events" table
DROP TABLE "audit_events";
-- reverse: create "audit_departments" table
DROP TABLE "audit_departments";
-- reverse: create index "auditcase_state_due_time" to table: "audit_cases"
DROP INDEX "auditcase_state_due_time";
-- reverse: create index "auditcase_open_time_id" to table: "audit_cases"
DROP INDEX "auditcase_open_time_id";
-- reverse: create index "auditcase_department_open_time" to table: "audit_cases"
DROP INDEX "auditcase_department_open_time";
-- reverse: create index "auditcase_account_id_source_open_time" to table: "audit_cases"
DROP INDEX "auditcase_account_id_source_open_time";
-- reverse: create "audit_cases" table
DROP TABLE "audit_cases";
