package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
	"github.com/google/uuid"
)

// resourceMixin holds what every API resource stores: a UUIDv7 id (time-ordered, so
// keyset pages by id follow creation), create/update times set by the domain (not by
// database defaults, so imports can set history) and a revision for etags.
type resourceMixin struct{ mixin.Schema }

func (resourceMixin) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.Time("create_time").Immutable(),
		field.Time("update_time"),
		field.Int64("revision").Default(1),
	}
}

// accountChildMixin links a row to its account.
type accountChildMixin struct{ mixin.Schema }

func (accountChildMixin) Fields() []ent.Field {
	return []ent.Field{field.UUID("account_id", uuid.UUID{}).Immutable()}
}
