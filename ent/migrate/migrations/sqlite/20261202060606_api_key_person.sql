-- +goose NO TRANSACTION
-- +goose Up
-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_api_keys" table
CREATE TABLE `new_api_keys` (`id` uuid NOT NULL, `display_name` text NOT NULL, `role` text NOT NULL, `partner_id` text NOT NULL DEFAULT (''), `prefix` text NOT NULL, `hash` blob NOT NULL, `creator` text NOT NULL DEFAULT (''), `person` text NOT NULL DEFAULT (''), `create_time` datetime NOT NULL, `expire_time` datetime NULL, `revoke_time` datetime NULL, PRIMARY KEY (`id`));
-- copy rows from old table "api_keys" to new temporary table "new_api_keys"
INSERT INTO `new_api_keys` (`id`, `display_name`, `role`, `partner_id`, `prefix`, `hash`, `creator`, `create_time`, `expire_time`, `revoke_time`) SELECT `id`, `display_name`, `role`, `partner_id`, `prefix`, `hash`, `creator`, `create_time`, `expire_time`, `revoke_time` FROM `api_keys`;
-- drop "api_keys" table after copying rows
DROP TABLE `api_keys`;
-- rename temporary table "new_api_keys" to "api_keys"
ALTER TABLE `new_api_keys` RENAME TO `api_keys`;
-- create index "api_keys_prefix_key" to table: "api_keys"
CREATE UNIQUE INDEX `api_keys_prefix_key` ON `api_keys` (`prefix`);
-- create index "apikey_create_time_id" to table: "api_keys"
CREATE INDEX `apikey_create_time_id` ON `api_keys` (`create_time`, `id`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;

-- +goose Down
-- reverse: create index "apikey_create_time_id" to table: "api_keys"
DROP INDEX `apikey_create_time_id`;
-- reverse: create index "api_keys_prefix_key" to table: "api_keys"
DROP INDEX `api_keys_prefix_key`;
-- reverse: create "new_api_keys" table
DROP TABLE `new_api_keys`;
