-- +goose NO TRANSACTION
-- +goose Up
-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_contacts" table
CREATE TABLE `new_contacts` (`id` uuid NOT NULL, `create_time` datetime NOT NULL, `update_time` datetime NOT NULL, `revision` integer NOT NULL DEFAULT (1), `display_name` text NOT NULL, `title` text NOT NULL DEFAULT (''), `email` text NOT NULL DEFAULT (''), `phone` text NOT NULL DEFAULT (''), `seniority_level` text NOT NULL DEFAULT (''), `decision_role` text NOT NULL DEFAULT (''), `attitude` text NOT NULL DEFAULT (''), `is_primary` bool NOT NULL DEFAULT (false), `external_id` text NOT NULL DEFAULT (''), `account_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `contacts_accounts_contacts` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE CASCADE);
-- copy rows from old table "contacts" to new temporary table "new_contacts"
INSERT INTO `new_contacts` (`id`, `create_time`, `update_time`, `revision`, `display_name`, `title`, `email`, `phone`, `seniority_level`, `decision_role`, `attitude`, `is_primary`, `account_id`) SELECT `id`, `create_time`, `update_time`, `revision`, `display_name`, `title`, `email`, `phone`, `seniority_level`, `decision_role`, `attitude`, `is_primary`, `account_id` FROM `contacts`;
-- drop "contacts" table after copying rows
DROP TABLE `contacts`;
-- rename temporary table "new_contacts" to "contacts"
ALTER TABLE `new_contacts` RENAME TO `contacts`;
-- create index "contact_one_primary" to table: "contacts"
CREATE UNIQUE INDEX `contact_one_primary` ON `contacts` (`account_id`) WHERE is_primary;
-- create index "contact_account_id_create_time_id" to table: "contacts"
CREATE INDEX `contact_account_id_create_time_id` ON `contacts` (`account_id`, `create_time`, `id`);
-- create index "contact_account_id_external_id" to table: "contacts"
CREATE INDEX `contact_account_id_external_id` ON `contacts` (`account_id`, `external_id`);
-- create "new_deals" table
CREATE TABLE `new_deals` (`id` uuid NOT NULL, `create_time` datetime NOT NULL, `update_time` datetime NOT NULL, `revision` integer NOT NULL DEFAULT (1), `currency_code` text NOT NULL, `amount_minor` integer NOT NULL, `close_date` datetime NOT NULL, `kind` text NOT NULL, `product` text NOT NULL DEFAULT (''), `status` text NOT NULL DEFAULT ('WON'), `is_first` bool NOT NULL DEFAULT (false), `external_id` text NOT NULL DEFAULT (''), `account_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `deals_accounts_deals` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE CASCADE);
-- copy rows from old table "deals" to new temporary table "new_deals"
INSERT INTO `new_deals` (`id`, `create_time`, `update_time`, `revision`, `currency_code`, `amount_minor`, `close_date`, `kind`, `product`, `status`, `is_first`, `account_id`) SELECT `id`, `create_time`, `update_time`, `revision`, `currency_code`, `amount_minor`, `close_date`, `kind`, `product`, `status`, `is_first`, `account_id` FROM `deals`;
-- drop "deals" table after copying rows
DROP TABLE `deals`;
-- rename temporary table "new_deals" to "deals"
ALTER TABLE `new_deals` RENAME TO `deals`;
-- create index "deal_account_id_close_date_id" to table: "deals"
CREATE INDEX `deal_account_id_close_date_id` ON `deals` (`account_id`, `close_date`, `id`);
-- create index "deal_close_date" to table: "deals"
CREATE INDEX `deal_close_date` ON `deals` (`close_date`);
-- create index "deal_one_first" to table: "deals"
CREATE UNIQUE INDEX `deal_one_first` ON `deals` (`account_id`) WHERE is_first;
-- create index "deal_account_id_external_id" to table: "deals"
CREATE INDEX `deal_account_id_external_id` ON `deals` (`account_id`, `external_id`);
-- create "activities" table
CREATE TABLE `activities` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `create_time` datetime NOT NULL, `actor` text NOT NULL, `actor_role` text NOT NULL DEFAULT (''), `partner_id` text NOT NULL DEFAULT (''), `method` text NOT NULL DEFAULT (''), `resource` text NOT NULL, `action` text NOT NULL, `changed_fields` json NULL, `request_id` text NOT NULL DEFAULT (''), `account_id` uuid NULL);
-- create index "activity_account_id_id" to table: "activities"
CREATE INDEX `activity_account_id_id` ON `activities` (`account_id`, `id`);
-- create index "activity_resource" to table: "activities"
CREATE INDEX `activity_resource` ON `activities` (`resource`);
-- create index "activity_actor" to table: "activities"
CREATE INDEX `activity_actor` ON `activities` (`actor`);
-- create index "activity_create_time" to table: "activities"
CREATE INDEX `activity_create_time` ON `activities` (`create_time`);
-- create "api_keys" table
CREATE TABLE `api_keys` (`id` uuid NOT NULL, `display_name` text NOT NULL, `role` text NOT NULL, `partner_id` text NOT NULL DEFAULT (''), `prefix` text NOT NULL, `hash` blob NOT NULL, `creator` text NOT NULL DEFAULT (''), `create_time` datetime NOT NULL, `expire_time` datetime NULL, `revoke_time` datetime NULL, PRIMARY KEY (`id`));
-- create index "api_keys_prefix_key" to table: "api_keys"
CREATE UNIQUE INDEX `api_keys_prefix_key` ON `api_keys` (`prefix`);
-- create index "apikey_create_time_id" to table: "api_keys"
CREATE INDEX `apikey_create_time_id` ON `api_keys` (`create_time`, `id`);
-- create "partners" table
CREATE TABLE `partners` (`id` text NOT NULL, `display_name` text NOT NULL, `create_time` datetime NOT NULL, `update_time` datetime NOT NULL, PRIMARY KEY (`id`));
-- create "sync_batches" table
CREATE TABLE `sync_batches` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `partner_id` text NOT NULL, `request_id` text NOT NULL, `results` blob NOT NULL, `create_time` datetime NOT NULL);
-- create index "syncbatch_partner_id_request_id" to table: "sync_batches"
CREATE UNIQUE INDEX `syncbatch_partner_id_request_id` ON `sync_batches` (`partner_id`, `request_id`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;

-- +goose Down
-- reverse: create index "syncbatch_partner_id_request_id" to table: "sync_batches"
DROP INDEX `syncbatch_partner_id_request_id`;
-- reverse: create "sync_batches" table
DROP TABLE `sync_batches`;
-- reverse: create "partners" table
DROP TABLE `partners`;
-- reverse: create index "apikey_create_time_id" to table: "api_keys"
DROP INDEX `apikey_create_time_id`;
-- reverse: create index "api_keys_prefix_key" to table: "api_keys"
DROP INDEX `api_keys_prefix_key`;
-- reverse: create "api_keys" table
DROP TABLE `api_keys`;
-- reverse: create index "activity_create_time" to table: "activities"
DROP INDEX `activity_create_time`;
-- reverse: create index "activity_actor" to table: "activities"
DROP INDEX `activity_actor`;
-- reverse: create index "activity_resource" to table: "activities"
DROP INDEX `activity_resource`;
-- reverse: create index "activity_account_id_id" to table: "activities"
DROP INDEX `activity_account_id_id`;
-- reverse: create "activities" table
DROP TABLE `activities`;
-- reverse: create index "deal_account_id_external_id" to table: "deals"
DROP INDEX `deal_account_id_external_id`;
-- reverse: create index "deal_one_first" to table: "deals"
DROP INDEX `deal_one_first`;
-- reverse: create index "deal_close_date" to table: "deals"
DROP INDEX `deal_close_date`;
-- reverse: create index "deal_account_id_close_date_id" to table: "deals"
DROP INDEX `deal_account_id_close_date_id`;
-- reverse: create "new_deals" table
DROP TABLE `new_deals`;
-- reverse: create index "contact_account_id_external_id" to table: "contacts"
DROP INDEX `contact_account_id_external_id`;
-- reverse: create index "contact_account_id_create_time_id" to table: "contacts"
DROP INDEX `contact_account_id_create_time_id`;
-- reverse: create index "contact_one_primary" to table: "contacts"
DROP INDEX `contact_one_primary`;
-- reverse: create "new_contacts" table
DROP TABLE `new_contacts`;
