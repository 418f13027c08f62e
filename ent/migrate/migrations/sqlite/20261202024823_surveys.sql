-- +goose Up
-- create "survey_invitations" table
CREATE TABLE `survey_invitations` (`id` uuid NOT NULL, `account_id` uuid NOT NULL, `contact_id` uuid NOT NULL, `channel` text NOT NULL DEFAULT (''), `invitation_id` text NOT NULL, `time` datetime NOT NULL, `creator` text NOT NULL DEFAULT (''), PRIMARY KEY (`id`));
-- create index "surveyinvitation_account_id_invitation_id" to table: "survey_invitations"
CREATE UNIQUE INDEX `surveyinvitation_account_id_invitation_id` ON `survey_invitations` (`account_id`, `invitation_id`);
-- create index "surveyinvitation_contact_id_time" to table: "survey_invitations"
CREATE INDEX `surveyinvitation_contact_id_time` ON `survey_invitations` (`contact_id`, `time`);
-- create index "surveyinvitation_account_id_time" to table: "survey_invitations"
CREATE INDEX `surveyinvitation_account_id_time` ON `survey_invitations` (`account_id`, `time`);
-- create "survey_responses" table
CREATE TABLE `survey_responses` (`id` uuid NOT NULL, `account_id` uuid NOT NULL, `contact_id` uuid NOT NULL, `kind` text NOT NULL, `score` integer NULL, `comment` text NOT NULL DEFAULT (''), `channel` text NOT NULL DEFAULT (''), `time` datetime NOT NULL, `source` text NOT NULL DEFAULT (''), `response_id` text NOT NULL, `create_time` datetime NOT NULL, `is_excluded` bool NOT NULL DEFAULT (false), `exclude_reason` text NOT NULL DEFAULT (''), `excluded_by` text NOT NULL DEFAULT (''), `exclude_time` datetime NULL, PRIMARY KEY (`id`));
-- create index "surveyresponse_account_id_source_response_id" to table: "survey_responses"
CREATE UNIQUE INDEX `surveyresponse_account_id_source_response_id` ON `survey_responses` (`account_id`, `source`, `response_id`);
-- create index "surveyresponse_account_id_time_id" to table: "survey_responses"
CREATE INDEX `surveyresponse_account_id_time_id` ON `survey_responses` (`account_id`, `time`, `id`);
-- create index "surveyresponse_time_kind" to table: "survey_responses"
CREATE INDEX `surveyresponse_time_kind` ON `survey_responses` (`time`, `kind`);

-- +goose Down
-- reverse: create index "surveyresponse_time_kind" to table: "survey_responses"
DROP INDEX `surveyresponse_time_kind`;
-- reverse: create index "surveyresponse_account_id_time_id" to table: "survey_responses"
DROP INDEX `surveyresponse_account_id_time_id`;
-- reverse: create index "surveyresponse_account_id_source_response_id" to table: "survey_responses"
DROP INDEX `surveyresponse_account_id_source_response_id`;
-- reverse: create "survey_responses" table
DROP TABLE `survey_responses`;
-- reverse: create index "surveyinvitation_account_id_time" to table: "survey_invitations"
DROP INDEX `surveyinvitation_account_id_time`;
-- reverse: create index "surveyinvitation_contact_id_time" to table: "survey_invitations"
DROP INDEX `surveyinvitation_contact_id_time`;
-- reverse: create index "surveyinvitation_account_id_invitation_id" to table: "survey_invitations"
DROP INDEX `surveyinvitation_account_id_invitation_id`;
-- reverse: create "survey_invitations" table
DROP TABLE `survey_invitations`;
