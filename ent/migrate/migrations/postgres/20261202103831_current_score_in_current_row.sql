-- +goose Up
-- modify "account_healths" table
ALTER TABLE "account_healths" ADD COLUMN "contributions" text NOT NULL DEFAULT '', ADD COLUMN "job_id" uuid NULL;
-- An account's latest score now lives in its current row (see ent/schema/health.go):
-- its contributions and job move there, and its history row goes.
UPDATE "account_healths" AS c SET "contributions" = h."contributions", "job_id" = h."job_id" FROM "health_scores" AS h WHERE h."id" = c."score_id";
DELETE FROM "health_scores" WHERE "id" IN (SELECT "score_id" FROM "account_healths");

-- +goose Down
-- reverse: the current rows' scores go back into the history
INSERT INTO "health_scores" ("id", "account_id", "scorecard_id", "scorecard_version", "score", "grade", "contributions", "compute_time", "job_id") SELECT "score_id", "id", "scorecard_id", "scorecard_version", "computed_score", "computed_grade", "contributions", "compute_time", "job_id" FROM "account_healths" WHERE NOT EXISTS (SELECT 1 FROM "health_scores" AS h WHERE h."id" = "account_healths"."score_id");
-- reverse: modify "account_healths" table
ALTER TABLE "account_healths" DROP COLUMN "job_id", DROP COLUMN "contributions";
