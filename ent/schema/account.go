package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// Account is an organisation in the customer archive.
type Account struct{ ent.Schema }

// Mixin of Account.
func (Account) Mixin() []ent.Mixin { return []ent.Mixin{resourceMixin{}} }

// Fields of Account. Enum-like fields are stored as their names (e.g. "KEY") so the
// database reads well in SQL; the domain checks the values.
func (Account) Fields() []ent.Field {
	return []ent.Field{
		field.String("display_name"),
		// name_norm, tax_id_norm and domain_norm are the normalised forms used to detect
		// duplicates; empty when the source is empty.
		field.String("name_norm"),
		field.String("tax_id").Default(""),
		field.String("tax_id_norm").Default(""),
		field.String("domain").Default(""),
		field.String("domain_norm").Default(""),
		field.String("industry").Default(""),
		field.String("region").Default(""),
		field.String("size").Default(""),
		field.String("revenue_tier").Default(""),
		field.String("strategic_role").Default(""),
		field.String("activity_status"),
		field.String("funnel_stage"),
		field.String("owner").Default(""),
		field.String("first_owner").Default(""),
		field.Time("delete_time").Optional().Nillable(),
	}
}

// Edges of Account.
func (Account) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("labels", AccountLabel.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("external_ids", AccountExternalID.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("contacts", Contact.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("deals", Deal.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("interactions", Interaction.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("ownership_periods", OwnershipPeriod.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("stage_changes", StageChange.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("primary_contact_changes", PrimaryContactChange.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of Account. The partial unique indexes make duplicate detection hold under
// concurrent creates (the domain checks first to name the existing account).
func (Account) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tax_id_norm").Unique().
			Annotations(entsql.IndexWhere("delete_time IS NULL AND tax_id_norm <> ''")),
		index.Fields("domain_norm").Unique().
			Annotations(entsql.IndexWhere("delete_time IS NULL AND domain_norm <> ''")),
		index.Fields("name_norm"),
		index.Fields("create_time", "id"),
		index.Fields("update_time", "id"),
		index.Fields("display_name", "id"),
		index.Fields("owner"),
	}
}

// AccountLabel is a free tag on an account.
type AccountLabel struct{ ent.Schema }

// Fields of AccountLabel.
func (AccountLabel) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("account_id", uuid.UUID{}),
		field.String("label"),
	}
}

// Edges of AccountLabel.
func (AccountLabel) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("account", Account.Type).Ref("labels").Field("account_id").Unique().Required(),
	}
}

// Indexes of AccountLabel.
func (AccountLabel) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id", "label").Unique(),
		index.Fields("label"),
	}
}

// AccountExternalID maps a partner system's id to an account: one account per
// (system, external id).
type AccountExternalID struct{ ent.Schema }

// Fields of AccountExternalID.
func (AccountExternalID) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("account_id", uuid.UUID{}),
		field.String("system"),
		field.String("external_id"),
		// account_deleted mirrors the account's soft deletion, so a deleted account's
		// external ids do not block a live one (the unique index skips them).
		field.Bool("account_deleted").Default(false),
	}
}

// Edges of AccountExternalID.
func (AccountExternalID) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("account", Account.Type).Ref("external_ids").Field("account_id").Unique().Required(),
	}
}

// Indexes of AccountExternalID.
func (AccountExternalID) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("system", "external_id").Unique().Annotations(entsql.IndexWhere("NOT account_deleted")),
		// Lookups that include deleted accounts (sync) cannot use the partial index.
		index.Fields("system", "external_id").StorageKey("accountexternalid_system_external_id_all"),
		index.Fields("account_id", "system").Unique(),
	}
}
