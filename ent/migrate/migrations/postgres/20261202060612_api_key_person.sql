-- +goose Up
-- modify "api_keys" table
ALTER TABLE "api_keys" ADD COLUMN "person" character varying NOT NULL DEFAULT '';

-- +goose Down
-- reverse: modify "api_keys" table
ALTER TABLE "api_keys" DROP COLUMN "person";
