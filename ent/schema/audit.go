package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// AuditDepartment is a team audit cases are assigned and dispatched to, with its
// working calendar (JSON; none: 24×7).
type AuditDepartment struct{ ent.Schema }

// Fields of AuditDepartment.
func (AuditDepartment) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable(),
		field.String("display_name"),
		field.Text("calendar").Default(""),
		field.Time("create_time").Immutable(),
		field.Time("update_time"),
		field.Int64("revision").Default(1),
	}
}

// AuditStandard is a service standard: its stage, the department it binds and the
// working hours to resolve a breach per severity (JSON).
type AuditStandard struct{ ent.Schema }

// Fields of AuditStandard.
func (AuditStandard) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable(),
		field.String("display_name"),
		field.String("stage"),
		field.String("department"),
		field.Text("targets"),
		field.Time("create_time").Immutable(),
		field.Time("update_time"),
		field.Int64("revision").Default(1),
	}
}

// AuditSettings holds the audit policy (JSON), one row.
type AuditSettings struct{ ent.Schema }

// Fields of AuditSettings.
func (AuditSettings) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable(),
		field.Text("policy"),
	}
}

// AuditCase is a service problem recorded against a standard. Its deadline is derived
// from its events and stored for lists.
type AuditCase struct{ ent.Schema }

// Fields of AuditCase.
func (AuditCase) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.UUID("account_id", uuid.UUID{}).Immutable(),
		field.String("source").Immutable(),
		field.String("source_ref").Default("").Immutable(),
		field.String("severity"),
		field.String("standard"),
		field.Text("description").Default(""),
		field.String("department"),
		field.String("person").Default(""),
		field.String("auditor").Default(""),
		field.String("state"),
		field.Bool("green_channel").Default(false),
		field.Bool("paused").Default(false),
		field.Time("due_time").Optional().Nillable(),
		field.Time("resolve_time").Optional().Nillable(),
		field.Time("close_time").Optional().Nillable(),
		field.Int("reopens").Default(0),
		field.UUID("linked_case", uuid.UUID{}).Optional().Nillable(),
		field.String("root_cause").Default(""),
		field.Text("root_cause_text").Default(""),
		field.String("accountable_department").Default(""),
		field.String("accountable_person").Default(""),
		field.Text("actions").Default(""),    // JSON
		field.Text("dispatches").Default(""), // JSON
		field.Text("resolution").Default(""),
		field.Time("open_time").Immutable(),
		field.Time("update_time"),
		field.Int64("revision").Default(1),
	}
}

// Indexes of AuditCase: lists by state and deadline (overdue), by account and source
// (one open warning case per account and source), newest first.
func (AuditCase) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("state", "due_time"),
		index.Fields("account_id", "source", "open_time"),
		index.Fields("open_time", "id"),
		index.Fields("department", "open_time"),
	}
}

// AuditEvent is one entry of an audit case's timeline. Append-only.
type AuditEvent struct{ ent.Schema }

// Fields of AuditEvent.
func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.UUID("case_id", uuid.UUID{}).Immutable(),
		field.String("kind").Immutable(),
		field.Time("time").Immutable(),
		field.String("actor").Default("").Immutable(),
		field.Text("detail").Default("").Immutable(), // JSON
	}
}

// Indexes of AuditEvent.
func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("case_id", "time", "id")}
}
