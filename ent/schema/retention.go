package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// RetentionPolicy is the one set of retention rules, versioned (the etag).
type RetentionPolicy struct{ ent.Schema }

// Fields of RetentionPolicy.
func (RetentionPolicy) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable(), // always "default": one policy per installation
		// definition is the rules and alert settings as JSON: read and written whole.
		field.Text("definition"),
		field.Int64("revision").Default(1),
		field.String("updated_by").Default(""),
		field.Time("update_time"),
	}
}

// RetentionState is an account's current retention label: the label the rules give,
// a manual label that wins over it until it expires or is cleared, and the label in
// effect.
type RetentionState struct{ ent.Schema }

// Fields of RetentionState.
func (RetentionState) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(), // the account's id
		field.String("label").Default(""),         // in effect; "" = not a customer
		field.Time("since"),                       // when label took effect
		field.String("rule_label").Default(""),    // what the rules give
		field.String("rule_key").Default(""),
		field.Text("facts").Default(""), // the values the rule fired on, JSON
		field.String("manual_label").Default(""),
		field.String("manual_reason").Default(""),
		field.String("manual_by").Default(""),
		field.Time("manual_set_time").Optional().Nillable(),
		field.Time("manual_expire_time").Optional().Nillable(),
		field.Time("evaluate_time"),
	}
}

// Indexes of RetentionState: lists filter by label; the worker finds expired manual
// labels.
func (RetentionState) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("label", "id"),
		index.Fields("manual_expire_time").Annotations(entsql.IndexWhere("manual_expire_time IS NOT NULL")),
	}
}

// LabelChange is one change of an account's retention label, with its cause.
// Append-only.
type LabelChange struct{ ent.Schema }

// Fields of LabelChange.
func (LabelChange) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.UUID("account_id", uuid.UUID{}).Immutable(),
		field.String("from_label").Default("").Immutable(),
		field.String("to_label").Default("").Immutable(),
		field.Time("change_time").Immutable(),
		field.String("cause").Immutable(), // RULE, MANUAL, MANUAL_CLEARED, MANUAL_EXPIRED
		field.String("rule_key").Default("").Immutable(),
		field.Text("facts").Default("").Immutable(),
		field.String("actor").Default("").Immutable(),
		field.Text("reason").Default("").Immutable(),
		field.Bool("win_back").Default(false).Immutable(),
	}
}

// Indexes of LabelChange.
func (LabelChange) Indexes() []ent.Index {
	return []ent.Index{index.Fields("account_id", "change_time", "id")}
}

// RetentionAlert is the task an account's entering AT_RISK creates for its owner.
type RetentionAlert struct{ ent.Schema }

// Mixin of RetentionAlert.
func (RetentionAlert) Mixin() []ent.Mixin { return []ent.Mixin{resourceMixin{}} }

// Fields of RetentionAlert.
func (RetentionAlert) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("account_id", uuid.UUID{}).Immutable(),
		field.UUID("change_id", uuid.UUID{}).Immutable(), // the label change that raised it
		field.String("owner").Default(""),
		field.String("state"),
		field.Time("due_time"),
		field.Text("steps"), // JSON: the playbook's steps and which are done
		field.String("outcome").Default(""),
		field.Text("note").Default(""),
		field.Time("acknowledge_time").Optional().Nillable(),
		field.String("acknowledged_by").Default(""),
		field.Time("close_time").Optional().Nillable(),
		field.String("closed_by").Default(""),
	}
}

// Indexes of RetentionAlert: lists by owner, state and due time; one open alert per
// account.
func (RetentionAlert) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("owner", "state", "due_time", "id"),
		index.Fields("state", "due_time", "id"),
		index.Fields("account_id").Unique().Annotations(entsql.IndexWhere("state <> 'CLOSED'")).StorageKey("retention_alert_one_open"),
	}
}
