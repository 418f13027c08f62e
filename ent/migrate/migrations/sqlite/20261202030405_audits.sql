-- +goose Up
-- create "audit_cases" table
CREATE TABLE `audit_cases` (`id` uuid NOT NULL, `account_id` uuid NOT NULL, `source` text NOT NULL, `source_ref` text NOT NULL DEFAULT (''), `severity` text NOT NULL, `standard` text NOT NULL, `description` text NOT NULL DEFAULT (''), `department` text NOT NULL, `person` text NOT NULL DEFAULT (''), `auditor` text NOT NULL DEFAULT (''), `state` text NOT NULL, `green_channel` bool NOT NULL DEFAULT (false), `paused` bool NOT NULL DEFAULT (false), `due_time` datetime NULL, `resolve_time` datetime NULL, `close_time` datetime NULL, `reopens` integer NOT NULL DEFAULT (0), `linked_case` uuid NULL, `root_cause` text NOT NULL DEFAULT (''), `root_cause_text` text NOT NULL DEFAULT (''), `accountable_department` text NOT NULL DEFAULT (''), `accountable_person` text NOT NULL DEFAULT (''), `actions` text NOT NULL DEFAULT (''), `dispatches` text NOT NULL DEFAULT (''), `resolution` text NOT NULL DEFAULT (''), `open_time` datetime NOT NULL, `update_time` datetime NOT NULL, `revision` integer NOT NULL DEFAULT (1), PRIMARY KEY (`id`));
-- create index "auditcase_state_due_time" to table: "audit_cases"
CREATE INDEX `auditcase_state_due_time` ON `audit_cases` (`state`, `due_time`);
-- create index "auditcase_account_id_source_open_time" to table: "audit_cases"
CREATE INDEX `auditcase_account_id_source_open_time` ON `audit_cases` (`account_id`, `source`, `open_time`);
-- create index "auditcase_open_time_id" to table: "audit_cases"
CREATE INDEX `auditcase_open_time_id` ON `audit_cases` (`open_time`, `id`);
-- create index "auditcase_department_open_time" to table: "audit_cases"
CREATE INDEX `auditcase_department_open_time` ON `audit_cases` (`department`, `open_time`);
-- create "audit_departments" table
CREATE TABLE `audit_departments` (`id` text NOT NULL, `display_name` text NOT NULL, `calendar` text NOT NULL DEFAULT (''), `create_time` datetime NOT NULL, `update_time` datetime NOT NULL, `revision` integer NOT NULL DEFAULT (1), PRIMARY KEY (`id`));
-- create "audit_events" table
CREATE TABLE `audit_events` (`id` uuid NOT NULL, `case_id` uuid NOT NULL, `kind` text NOT NULL, `time` datetime NOT NULL, `actor` text NOT NULL DEFAULT (''), `detail` text NOT NULL DEFAULT (''), PRIMARY KEY (`id`));
-- create index "auditevent_case_id_time_id" to table: "audit_events"
CREATE INDEX `auditevent_case_id_time_id` ON `audit_events` (`case_id`, `time`, `id`);
-- create "audit_settings" table
CREATE TABLE `audit_settings` (`id` text NOT NULL, `policy` text NOT NULL, PRIMARY KEY (`id`));
-- create "audit_standards" table
CREATE TABLE `audit_standards` (`id` text NOT NULL, `display_name` text NOT NULL, `stage` text NOT NULL, `department` text NOT NULL, `targets` text NOT NULL, `create_time` datetime NOT NULL, `update_time` datetime NOT NULL, `revision` integer NOT NULL DEFAULT (1), PRIMARY KEY (`id`));

-- +goose Down
-- reverse: create "audit_standards" table
DROP TABLE `audit_standards`;
-- reverse: create "audit_settings" table
DROP TABLE `audit_settings`;
-- reverse: create index "auditevent_case_id_time_id" to table: "audit_events"
DROP INDEX `auditevent_case_id_time_id`;
-- reverse: create "audit_events" table
DROP TABLE `audit_events`;
-- reverse: create "audit_departments" table
DROP TABLE `audit_departments`;
-- reverse: create index "auditcase_department_open_time" to table: "audit_cases"
DROP INDEX `auditcase_department_open_time`;
-- reverse: create index "auditcase_open_time_id" to table: "audit_cases"
DROP INDEX `auditcase_open_time_id`;
-- reverse: create index "auditcase_account_id_source_open_time" to table: "audit_cases"
DROP INDEX `auditcase_account_id_source_open_time`;
-- reverse: create index "auditcase_state_due_time" to table: "audit_cases"
DROP INDEX `auditcase_state_due_time`;
-- reverse: create "audit_cases" table
DROP TABLE `audit_cases`;
