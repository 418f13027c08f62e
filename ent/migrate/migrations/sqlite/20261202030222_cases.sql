-- +goose Up
-- create "case_events" table
CREATE TABLE `case_events` (`id` uuid NOT NULL, `case_id` uuid NOT NULL, `time` datetime NOT NULL, `actor` text NOT NULL DEFAULT (''), `action` text NOT NULL, `from_state` text NOT NULL DEFAULT (''), `to_state` text NOT NULL DEFAULT (''), `version` integer NOT NULL DEFAULT (0), `comment` text NOT NULL DEFAULT (''), PRIMARY KEY (`id`));
-- create index "caseevent_case_id_time_id" to table: "case_events"
CREATE INDEX `caseevent_case_id_time_id` ON `case_events` (`case_id`, `time`, `id`);
-- create "cases" table
CREATE TABLE `cases` (`id` uuid NOT NULL, `create_time` datetime NOT NULL, `update_time` datetime NOT NULL, `revision` integer NOT NULL DEFAULT (1), `state` text NOT NULL, `author` text NOT NULL, `working_version_id` uuid NOT NULL, `published_version_id` uuid NULL, `publish_time` datetime NULL, `version_count` integer NOT NULL DEFAULT (1), `review_comment` text NOT NULL DEFAULT (''), PRIMARY KEY (`id`));
-- create index "caserecord_state_id" to table: "cases"
CREATE INDEX `caserecord_state_id` ON `cases` (`state`, `id`);
-- create index "caserecord_published_version_id" to table: "cases"
CREATE INDEX `caserecord_published_version_id` ON `cases` (`published_version_id`);
-- create index "caserecord_author" to table: "cases"
CREATE INDEX `caserecord_author` ON `cases` (`author`);
-- create "case_taxonomy_terms" table
CREATE TABLE `case_taxonomy_terms` (`id` text NOT NULL, `kind` text NOT NULL, `display_name` text NOT NULL, `description` text NOT NULL DEFAULT (''), `create_time` datetime NOT NULL, PRIMARY KEY (`id`));
-- create index "casetaxonomyterm_kind_id" to table: "case_taxonomy_terms"
CREATE INDEX `casetaxonomyterm_kind_id` ON `case_taxonomy_terms` (`kind`, `id`);
-- create "case_terms" table
CREATE TABLE `case_terms` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `version_id` uuid NOT NULL, `kind` text NOT NULL, `value` text NOT NULL);
-- create index "caseterm_kind_value_version_id" to table: "case_terms"
CREATE UNIQUE INDEX `caseterm_kind_value_version_id` ON `case_terms` (`kind`, `value`, `version_id`);
-- create index "caseterm_version_id" to table: "case_terms"
CREATE INDEX `caseterm_version_id` ON `case_terms` (`version_id`);
-- create "case_versions" table
CREATE TABLE `case_versions` (`id` uuid NOT NULL, `case_id` uuid NOT NULL, `number` integer NOT NULL, `create_time` datetime NOT NULL, `update_time` datetime NOT NULL, `editor` text NOT NULL DEFAULT (''), `title` text NOT NULL, `account_id` uuid NOT NULL, `industry` text NOT NULL DEFAULT (''), `problem_category` text NOT NULL DEFAULT (''), `scenario` text NOT NULL DEFAULT (''), `problem` text NOT NULL DEFAULT (''), `solution` text NOT NULL DEFAULT (''), `products` text NOT NULL DEFAULT ('[]'), `tags` text NOT NULL DEFAULT ('[]'), `results` text NOT NULL DEFAULT ('[]'), `ack_contact_id` uuid NULL, `ack_time` datetime NULL, `ack_scope` text NOT NULL DEFAULT (''), `ack_expire_time` datetime NULL, `ack_revoke_time` datetime NULL, `ack_revoked_by` text NOT NULL DEFAULT (''), `ack_revoke_reason` text NOT NULL DEFAULT (''), PRIMARY KEY (`id`));
-- create index "caseversion_case_id_number" to table: "case_versions"
CREATE UNIQUE INDEX `caseversion_case_id_number` ON `case_versions` (`case_id`, `number`);
-- create index "caseversion_industry" to table: "case_versions"
CREATE INDEX `caseversion_industry` ON `case_versions` (`industry`);
-- create index "caseversion_problem_category" to table: "case_versions"
CREATE INDEX `caseversion_problem_category` ON `case_versions` (`problem_category`);
-- create index "caseversion_account_id" to table: "case_versions"
CREATE INDEX `caseversion_account_id` ON `case_versions` (`account_id`);
-- hand-written (ent inspects only its own tables, so migrategen -check ignores it):
-- full-text search over case versions, an FTS5 table over the store's tokens (words,
-- and CJK bigrams; see internal/cases/search.go), keyed through case_search_keys.
CREATE TABLE `case_search_keys` (`rowid` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `version_id` text NOT NULL UNIQUE);
CREATE VIRTUAL TABLE `case_search` USING fts5(`title`, `problem`, `solution`, `results`, tokenize = 'unicode61 remove_diacritics 0');

-- +goose Down
-- reverse: hand-written search tables
DROP TABLE `case_search`;
DROP TABLE `case_search_keys`;
-- reverse: create index "caseversion_account_id" to table: "case_versions"
DROP INDEX `caseversion_account_id`;
-- reverse: create index "caseversion_problem_category" to table: "case_versions"
DROP INDEX `caseversion_problem_category`;
-- reverse: create index "caseversion_industry" to table: "case_versions"
DROP INDEX `caseversion_industry`;
-- reverse: create index "caseversion_case_id_number" to table: "case_versions"
DROP INDEX `caseversion_case_id_number`;
-- reverse: create "case_versions" table
DROP TABLE `case_versions`;
-- reverse: create index "caseterm_version_id" to table: "case_terms"
DROP INDEX `caseterm_version_id`;
-- reverse: create index "caseterm_kind_value_version_id" to table: "case_terms"
DROP INDEX `caseterm_kind_value_version_id`;
-- reverse: create "case_terms" table
DROP TABLE `case_terms`;
-- reverse: create index "casetaxonomyterm_kind_id" to table: "case_taxonomy_terms"
DROP INDEX `casetaxonomyterm_kind_id`;
-- reverse: create "case_taxonomy_terms" table
DROP TABLE `case_taxonomy_terms`;
-- reverse: create index "caserecord_author" to table: "cases"
DROP INDEX `caserecord_author`;
-- reverse: create index "caserecord_published_version_id" to table: "cases"
DROP INDEX `caserecord_published_version_id`;
-- reverse: create index "caserecord_state_id" to table: "cases"
DROP INDEX `caserecord_state_id`;
-- reverse: create "cases" table
DROP TABLE `cases`;
-- reverse: create index "caseevent_case_id_time_id" to table: "case_events"
DROP INDEX `caseevent_case_id_time_id`;
-- reverse: create "case_events" table
DROP TABLE `case_events`;
