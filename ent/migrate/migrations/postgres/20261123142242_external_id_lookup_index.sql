-- +goose Up
-- create index "accountexternalid_system_external_id_all" to table: "account_external_ids"
CREATE INDEX "accountexternalid_system_external_id_all" ON "account_external_ids" ("system", "external_id");

-- +goose Down
-- reverse: create index "accountexternalid_system_external_id_all" to table: "account_external_ids"
DROP INDEX "accountexternalid_system_external_id_all";
