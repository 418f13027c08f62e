package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// ApiKey is an API credential; only the SHA-256 of the key is stored.
type ApiKey struct{ ent.Schema }

// Fields of ApiKey.
func (ApiKey) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.String("display_name"),
		field.String("role"),
		field.String("partner_id").Default(""),
		// prefix is the public part of the key, used to find it.
		field.String("prefix").Unique(),
		field.Bytes("hash"),
		field.String("creator").Default(""),
		// person is who the key acts for (the reference account owners use), so what
		// they author, review or audit is theirs whichever of their keys they use.
		field.String("person").Default("").Immutable(),
		field.Time("create_time").Immutable(),
		field.Time("expire_time").Optional().Nillable(),
		field.Time("revoke_time").Optional().Nillable(),
	}
}

// Indexes of ApiKey.
func (ApiKey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("create_time", "id")}
}

// Partner is a company that syncs customer records; its id is its external-id system.
type Partner struct{ ent.Schema }

// Fields of Partner.
func (Partner) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable(),
		field.String("display_name"),
		field.Time("create_time").Immutable(),
		field.Time("update_time"),
	}
}

// Activity is an entry of the activity log, written in the transaction of its change.
// Its id increases in commit order (writers take a lock before inserting it), so it
// doubles as the partner change feed's cursor.
type Activity struct{ ent.Schema }

// Fields of Activity.
func (Activity) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Time("create_time"),
		field.String("actor"),
		field.String("actor_role").Default(""),
		field.String("partner_id").Default(""),
		field.String("method").Default(""),
		field.String("resource"),
		field.String("action"),
		field.Strings("changed_fields").Optional(),
		field.String("request_id").Default(""),
		// account_id is the account the change belongs to (for the change feed); no
		// foreign key, so the log outlives what it describes.
		field.UUID("account_id", uuid.UUID{}).Optional().Nillable(),
	}
}

// Indexes of Activity.
func (Activity) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id", "id"),
		index.Fields("resource"),
		index.Fields("actor"),
		index.Fields("create_time"),
	}
}

// SyncBatch remembers a batch upsert's results under its request id, so a retry
// returns them instead of writing again.
type SyncBatch struct{ ent.Schema }

// Fields of SyncBatch.
func (SyncBatch) Fields() []ent.Field {
	return []ent.Field{
		field.String("partner_id"),
		field.String("request_id"),
		// results is the JSON of the per-record results.
		field.Bytes("results"),
		field.Time("create_time"),
	}
}

// Indexes of SyncBatch.
func (SyncBatch) Indexes() []ent.Index {
	return []ent.Index{index.Fields("partner_id", "request_id").Unique()}
}
