package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// accountEdge is the edge from a child row back to its account.
func accountEdge(ref string) ent.Edge {
	return edge.From("account", Account.Type).Ref(ref).Field("account_id").Unique().Required().Immutable()
}

// Contact is a person at an account.
type Contact struct{ ent.Schema }

// Mixin of Contact.
func (Contact) Mixin() []ent.Mixin { return []ent.Mixin{resourceMixin{}, accountChildMixin{}} }

// Fields of Contact.
func (Contact) Fields() []ent.Field {
	return []ent.Field{
		field.String("display_name"),
		field.String("title").Default(""),
		field.String("email").Default(""),
		field.String("phone").Default(""),
		field.String("seniority_level").Default(""),
		field.String("decision_role").Default(""),
		field.String("attitude").Default(""),
		field.Bool("is_primary").Default(false),
		// external_id is a syncing partner's id of the contact ("" when not synced).
		field.String("external_id").Default(""),
	}
}

// Edges of Contact.
func (Contact) Edges() []ent.Edge { return []ent.Edge{accountEdge("contacts")} }

// Indexes of Contact. At most one primary contact per account, enforced by the database.
func (Contact) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id").Unique().Annotations(entsql.IndexWhere("is_primary")).StorageKey("contact_one_primary"),
		index.Fields("account_id", "create_time", "id"),
		index.Fields("account_id", "external_id"),
	}
}

// Deal is a closed transaction with an account.
type Deal struct{ ent.Schema }

// Mixin of Deal.
func (Deal) Mixin() []ent.Mixin { return []ent.Mixin{resourceMixin{}, accountChildMixin{}} }

// Fields of Deal.
func (Deal) Fields() []ent.Field {
	return []ent.Field{
		field.String("currency_code"),
		field.Int64("amount_minor"),
		// close_date is a calendar date, stored at midnight UTC (a date column on PostgreSQL).
		field.Time("close_date").SchemaType(map[string]string{dialect.Postgres: "date"}),
		// kind is the caller's kind for the deal's role as a later purchase ("" means
		// REPURCHASE); whether it is the first purchase is is_first.
		field.String("kind"),
		field.String("product").Default(""),
		field.String("status").Default("WON"),
		// is_first marks the account's earliest won deal (by close_date, id), kept in the
		// same transaction as every deal write; analytics read it directly.
		field.Bool("is_first").Default(false),
		// external_id is a syncing partner's id of the deal ("" when not synced).
		field.String("external_id").Default(""),
	}
}

// Edges of Deal.
func (Deal) Edges() []ent.Edge { return []ent.Edge{accountEdge("deals")} }

// Indexes of Deal.
func (Deal) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id", "close_date", "id"),
		index.Fields("close_date"),
		index.Fields("account_id").Unique().Annotations(entsql.IndexWhere("is_first")).StorageKey("deal_one_first"),
		index.Fields("account_id", "external_id"),
	}
}

// Interaction is a follow-up on an account's timeline.
type Interaction struct{ ent.Schema }

// Mixin of Interaction.
func (Interaction) Mixin() []ent.Mixin { return []ent.Mixin{resourceMixin{}, accountChildMixin{}} }

// Fields of Interaction.
func (Interaction) Fields() []ent.Field {
	return []ent.Field{
		field.String("kind"),
		field.Time("occur_time"),
		field.Strings("participants").Optional(),
		field.Text("summary"),
	}
}

// Edges of Interaction.
func (Interaction) Edges() []ent.Edge { return []ent.Edge{accountEdge("interactions")} }

// Indexes of Interaction: the timeline reads newest first per account.
func (Interaction) Indexes() []ent.Index {
	return []ent.Index{index.Fields("account_id", "occur_time", "id")}
}

// OwnershipPeriod is one period of one owner of an account.
type OwnershipPeriod struct{ ent.Schema }

// Fields of OwnershipPeriod.
func (OwnershipPeriod) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.UUID("account_id", uuid.UUID{}).Immutable(),
		field.String("owner"),
		field.Time("start_time"),
		field.Time("end_time").Optional().Nillable(),
		field.String("kind"),
		field.String("reason").Default(""),
	}
}

// Edges of OwnershipPeriod.
func (OwnershipPeriod) Edges() []ent.Edge { return []ent.Edge{accountEdge("ownership_periods")} }

// Indexes of OwnershipPeriod.
func (OwnershipPeriod) Indexes() []ent.Index {
	return []ent.Index{index.Fields("account_id", "start_time", "id")}
}

// StageChange records an account entering a funnel stage.
type StageChange struct{ ent.Schema }

// Fields of StageChange.
func (StageChange) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.UUID("account_id", uuid.UUID{}).Immutable(),
		field.String("from_stage").Default(""),
		field.String("to_stage"),
		field.Time("change_time"),
	}
}

// Edges of StageChange.
func (StageChange) Edges() []ent.Edge { return []ent.Edge{accountEdge("stage_changes")} }

// Indexes of StageChange: per account for history, by stage and time for funnel analytics.
func (StageChange) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id", "change_time", "id"),
		index.Fields("to_stage", "change_time"),
	}
}

// PrimaryContactChange records a change of an account's primary contact.
type PrimaryContactChange struct{ ent.Schema }

// Fields of PrimaryContactChange. Contact ids are kept as values, not foreign keys, so
// the history survives a contact's deletion.
func (PrimaryContactChange) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.UUID("account_id", uuid.UUID{}).Immutable(),
		field.UUID("from_contact_id", uuid.UUID{}).Optional().Nillable(),
		field.UUID("to_contact_id", uuid.UUID{}),
		field.String("reason").Default(""),
		field.Time("change_time"),
	}
}

// Edges of PrimaryContactChange.
func (PrimaryContactChange) Edges() []ent.Edge {
	return []ent.Edge{accountEdge("primary_contact_changes")}
}

// Indexes of PrimaryContactChange.
func (PrimaryContactChange) Indexes() []ent.Index {
	return []ent.Index{index.Fields("account_id", "change_time", "id")}
}

// RequestRecord remembers the resource a create with a request_id produced (AIP-155), so
// a retry returns it instead of writing twice.
type RequestRecord struct{ ent.Schema }

// Fields of RequestRecord.
func (RequestRecord) Fields() []ent.Field {
	return []ent.Field{
		// scope is the kind of create, e.g. "account" or "contact:<account id>".
		field.String("scope"),
		field.String("request_id"),
		field.UUID("resource_id", uuid.UUID{}),
		field.Time("create_time"),
	}
}

// Indexes of RequestRecord.
func (RequestRecord) Indexes() []ent.Index {
	return []ent.Index{index.Fields("scope", "request_id").Unique()}
}
