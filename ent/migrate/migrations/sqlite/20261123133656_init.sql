-- +goose Up
-- create "accounts" table
CREATE TABLE `accounts` (`id` uuid NOT NULL, `create_time` datetime NOT NULL, `update_time` datetime NOT NULL, `revision` integer NOT NULL DEFAULT (1), `display_name` text NOT NULL, `name_norm` text NOT NULL, `tax_id` text NOT NULL DEFAULT (''), `tax_id_norm` text NOT NULL DEFAULT (''), `domain` text NOT NULL DEFAULT (''), `domain_norm` text NOT NULL DEFAULT (''), `industry` text NOT NULL DEFAULT (''), `region` text NOT NULL DEFAULT (''), `size` text NOT NULL DEFAULT (''), `revenue_tier` text NOT NULL DEFAULT (''), `strategic_role` text NOT NULL DEFAULT (''), `activity_status` text NOT NULL, `funnel_stage` text NOT NULL, `owner` text NOT NULL DEFAULT (''), `first_owner` text NOT NULL DEFAULT (''), `delete_time` datetime NULL, PRIMARY KEY (`id`));
-- create index "account_tax_id_norm" to table: "accounts"
CREATE UNIQUE INDEX `account_tax_id_norm` ON `accounts` (`tax_id_norm`) WHERE delete_time IS NULL AND tax_id_norm <> '';
-- create index "account_domain_norm" to table: "accounts"
CREATE UNIQUE INDEX `account_domain_norm` ON `accounts` (`domain_norm`) WHERE delete_time IS NULL AND domain_norm <> '';
-- create index "account_name_norm" to table: "accounts"
CREATE INDEX `account_name_norm` ON `accounts` (`name_norm`);
-- create index "account_create_time_id" to table: "accounts"
CREATE INDEX `account_create_time_id` ON `accounts` (`create_time`, `id`);
-- create index "account_update_time_id" to table: "accounts"
CREATE INDEX `account_update_time_id` ON `accounts` (`update_time`, `id`);
-- create index "account_display_name_id" to table: "accounts"
CREATE INDEX `account_display_name_id` ON `accounts` (`display_name`, `id`);
-- create index "account_owner" to table: "accounts"
CREATE INDEX `account_owner` ON `accounts` (`owner`);
-- create "account_external_ids" table
CREATE TABLE `account_external_ids` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `system` text NOT NULL, `external_id` text NOT NULL, `account_deleted` bool NOT NULL DEFAULT (false), `account_id` uuid NOT NULL, CONSTRAINT `account_external_ids_accounts_external_ids` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE CASCADE);
-- create index "accountexternalid_system_external_id" to table: "account_external_ids"
CREATE UNIQUE INDEX `accountexternalid_system_external_id` ON `account_external_ids` (`system`, `external_id`) WHERE NOT account_deleted;
-- create index "accountexternalid_account_id_system" to table: "account_external_ids"
CREATE UNIQUE INDEX `accountexternalid_account_id_system` ON `account_external_ids` (`account_id`, `system`);
-- create "account_labels" table
CREATE TABLE `account_labels` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `label` text NOT NULL, `account_id` uuid NOT NULL, CONSTRAINT `account_labels_accounts_labels` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE CASCADE);
-- create index "accountlabel_account_id_label" to table: "account_labels"
CREATE UNIQUE INDEX `accountlabel_account_id_label` ON `account_labels` (`account_id`, `label`);
-- create index "accountlabel_label" to table: "account_labels"
CREATE INDEX `accountlabel_label` ON `account_labels` (`label`);
-- create "contacts" table
CREATE TABLE `contacts` (`id` uuid NOT NULL, `create_time` datetime NOT NULL, `update_time` datetime NOT NULL, `revision` integer NOT NULL DEFAULT (1), `display_name` text NOT NULL, `title` text NOT NULL DEFAULT (''), `email` text NOT NULL DEFAULT (''), `phone` text NOT NULL DEFAULT (''), `seniority_level` text NOT NULL DEFAULT (''), `decision_role` text NOT NULL DEFAULT (''), `attitude` text NOT NULL DEFAULT (''), `is_primary` bool NOT NULL DEFAULT (false), `account_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `contacts_accounts_contacts` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE CASCADE);
-- create index "contact_one_primary" to table: "contacts"
CREATE UNIQUE INDEX `contact_one_primary` ON `contacts` (`account_id`) WHERE is_primary;
-- create index "contact_account_id_create_time_id" to table: "contacts"
CREATE INDEX `contact_account_id_create_time_id` ON `contacts` (`account_id`, `create_time`, `id`);
-- create "deals" table
CREATE TABLE `deals` (`id` uuid NOT NULL, `create_time` datetime NOT NULL, `update_time` datetime NOT NULL, `revision` integer NOT NULL DEFAULT (1), `currency_code` text NOT NULL, `amount_minor` integer NOT NULL, `close_date` datetime NOT NULL, `kind` text NOT NULL, `product` text NOT NULL DEFAULT (''), `status` text NOT NULL DEFAULT ('WON'), `is_first` bool NOT NULL DEFAULT (false), `account_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `deals_accounts_deals` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE CASCADE);
-- create index "deal_account_id_close_date_id" to table: "deals"
CREATE INDEX `deal_account_id_close_date_id` ON `deals` (`account_id`, `close_date`, `id`);
-- create index "deal_close_date" to table: "deals"
CREATE INDEX `deal_close_date` ON `deals` (`close_date`);
-- create index "deal_one_first" to table: "deals"
CREATE UNIQUE INDEX `deal_one_first` ON `deals` (`account_id`) WHERE is_first;
-- create "interactions" table
CREATE TABLE `interactions` (`id` uuid NOT NULL, `create_time` datetime NOT NULL, `update_time` datetime NOT NULL, `revision` integer NOT NULL DEFAULT (1), `kind` text NOT NULL, `occur_time` datetime NOT NULL, `participants` json NULL, `summary` text NOT NULL, `account_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `interactions_accounts_interactions` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE CASCADE);
-- create index "interaction_account_id_occur_time_id" to table: "interactions"
CREATE INDEX `interaction_account_id_occur_time_id` ON `interactions` (`account_id`, `occur_time`, `id`);
-- create "ownership_periods" table
CREATE TABLE `ownership_periods` (`id` uuid NOT NULL, `owner` text NOT NULL, `start_time` datetime NOT NULL, `end_time` datetime NULL, `kind` text NOT NULL, `reason` text NOT NULL DEFAULT (''), `account_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `ownership_periods_accounts_ownership_periods` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE CASCADE);
-- create index "ownershipperiod_account_id_start_time_id" to table: "ownership_periods"
CREATE INDEX `ownershipperiod_account_id_start_time_id` ON `ownership_periods` (`account_id`, `start_time`, `id`);
-- create "primary_contact_changes" table
CREATE TABLE `primary_contact_changes` (`id` uuid NOT NULL, `from_contact_id` uuid NULL, `to_contact_id` uuid NOT NULL, `reason` text NOT NULL DEFAULT (''), `change_time` datetime NOT NULL, `account_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `primary_contact_changes_accounts_primary_contact_changes` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE CASCADE);
-- create index "primarycontactchange_account_id_change_time_id" to table: "primary_contact_changes"
CREATE INDEX `primarycontactchange_account_id_change_time_id` ON `primary_contact_changes` (`account_id`, `change_time`, `id`);
-- create "request_records" table
CREATE TABLE `request_records` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `scope` text NOT NULL, `request_id` text NOT NULL, `resource_id` uuid NOT NULL, `create_time` datetime NOT NULL);
-- create index "requestrecord_scope_request_id" to table: "request_records"
CREATE UNIQUE INDEX `requestrecord_scope_request_id` ON `request_records` (`scope`, `request_id`);
-- create "stage_changes" table
CREATE TABLE `stage_changes` (`id` uuid NOT NULL, `from_stage` text NOT NULL DEFAULT (''), `to_stage` text NOT NULL, `change_time` datetime NOT NULL, `account_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `stage_changes_accounts_stage_changes` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE CASCADE);
-- create index "stagechange_account_id_change_time_id" to table: "stage_changes"
CREATE INDEX `stagechange_account_id_change_time_id` ON `stage_changes` (`account_id`, `change_time`, `id`);
-- create index "stagechange_to_stage_change_time" to table: "stage_changes"
CREATE INDEX `stagechange_to_stage_change_time` ON `stage_changes` (`to_stage`, `change_time`);

-- +goose Down
-- reverse: create index "stagechange_to_stage_change_time" to table: "stage_changes"
DROP INDEX `stagechange_to_stage_change_time`;
-- reverse: create index "stagechange_account_id_change_time_id" to table: "stage_changes"
DROP INDEX `stagechange_account_id_change_time_id`;
-- reverse: create "stage_changes" table
DROP TABLE `stage_changes`;
-- reverse: create index "requestrecord_scope_request_id" to table: "request_records"
DROP INDEX `requestrecord_scope_request_id`;
-- reverse: create "request_records" table
DROP TABLE `request_records`;
-- reverse: create index "primarycontactchange_account_id_change_time_id" to table: "primary_contact_changes"
DROP INDEX `primarycontactchange_account_id_change_time_id`;
-- reverse: create "primary_contact_changes" table
DROP TABLE `primary_contact_changes`;
-- reverse: create index "ownershipperiod_account_id_start_time_id" to table: "ownership_periods"
DROP INDEX `ownershipperiod_account_id_start_time_id`;
-- reverse: create "ownership_periods" table
DROP TABLE `ownership_periods`;
-- reverse: create index "interaction_account_id_occur_time_id" to table: "interactions"
DROP INDEX `interaction_account_id_occur_time_id`;
-- reverse: create "interactions" table
DROP TABLE `interactions`;
-- reverse: create index "deal_one_first" to table: "deals"
DROP INDEX `deal_one_first`;
-- reverse: create index "deal_close_date" to table: "deals"
DROP INDEX `deal_close_date`;
-- reverse: create index "deal_account_id_close_date_id" to table: "deals"
DROP INDEX `deal_account_id_close_date_id`;
-- reverse: create "deals" table
DROP TABLE `deals`;
-- reverse: create index "contact_account_id_create_time_id" to table: "contacts"
DROP INDEX `contact_account_id_create_time_id`;
-- reverse: create index "contact_one_primary" to table: "contacts"
DROP INDEX `contact_one_primary`;
-- reverse: create "contacts" table
DROP TABLE `contacts`;
-- reverse: create index "accountlabel_label" to table: "account_labels"
DROP INDEX `accountlabel_label`;
-- reverse: create index "accountlabel_account_id_label" to table: "account_labels"
DROP INDEX `accountlabel_account_id_label`;
-- reverse: create "account_labels" table
DROP TABLE `account_labels`;
-- reverse: create index "accountexternalid_account_id_system" to table: "account_external_ids"
DROP INDEX `accountexternalid_account_id_system`;
-- reverse: create index "accountexternalid_system_external_id" to table: "account_external_ids"
DROP INDEX `accountexternalid_system_external_id`;
-- reverse: create "account_external_ids" table
DROP TABLE `account_external_ids`;
-- reverse: create index "account_owner" to table: "accounts"
DROP INDEX `account_owner`;
-- reverse: create index "account_display_name_id" to table: "accounts"
DROP INDEX `account_display_name_id`;
-- reverse: create index "account_update_time_id" to table: "accounts"
DROP INDEX `account_update_time_id`;
-- reverse: create index "account_create_time_id" to table: "accounts"
DROP INDEX `account_create_time_id`;
-- reverse: create index "account_name_norm" to table: "accounts"
DROP INDEX `account_name_norm`;
-- reverse: create index "account_domain_norm" to table: "accounts"
DROP INDEX `account_domain_norm`;
-- reverse: create index "account_tax_id_norm" to table: "accounts"
DROP INDEX `account_tax_id_norm`;
-- reverse: create "accounts" table
DROP TABLE `accounts`;
