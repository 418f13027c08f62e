package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// Signal is one timestamped fact about an account. Append-only.
type Signal struct{ ent.Schema }

// Fields of Signal.
func (Signal) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.UUID("account_id", uuid.UUID{}).Immutable(),
		field.String("measure").Immutable(),
		// value_micros is the value × 10⁶: sums are exact integers on both databases, so
		// a score does not depend on the order rows are added in.
		field.Int64("value_micros").Immutable(),
		field.Time("time").Immutable(),
		field.String("source").Default("").Immutable(),
		field.String("signal_id").Immutable(),
		field.Time("create_time").Immutable(),
	}
}

// Indexes of Signal: one (account, source, signal_id) is one signal. Scoring reads a
// batch of accounts' measures by time from the second index alone: it covers the value
// and id, because signals arrive in time order and reading each account's rows from
// the table would touch a page per row.
func (Signal) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id", "source", "signal_id").Unique(),
		index.Fields("account_id", "measure", "time", "value_micros", "id").StorageKey("signal_scoring"),
	}
}

// Scorecard is a health model's head: its current version and who it targets.
type Scorecard struct{ ent.Schema }

// Mixin of Scorecard.
func (Scorecard) Mixin() []ent.Mixin { return []ent.Mixin{resourceMixin{}} }

// Fields of Scorecard.
func (Scorecard) Fields() []ent.Field {
	return []ent.Field{
		field.String("display_name"),
		field.String("description").Default(""),
		field.Bool("is_default").Default(false),
		field.Strings("segment_tiers").Optional(),
		field.Strings("segment_industries").Optional(),
		field.Int("version"),
	}
}

// Indexes of Scorecard: at most one default, enforced by the database.
func (Scorecard) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("is_default").Unique().Annotations(entsql.IndexWhere("is_default")).StorageKey("scorecard_one_default"),
	}
}

// ScorecardVersion is one immutable version of a scorecard's measures and bands.
type ScorecardVersion struct{ ent.Schema }

// Fields of ScorecardVersion.
func (ScorecardVersion) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.UUID("scorecard_id", uuid.UUID{}).Immutable(),
		field.Int("version").Immutable(),
		// definition is the measures and grade bands as JSON (the domain's encoding).
		field.Text("definition").Immutable(),
		field.Time("create_time").Immutable(),
	}
}

// Indexes of ScorecardVersion.
func (ScorecardVersion) Indexes() []ent.Index {
	return []ent.Index{index.Fields("scorecard_id", "version").Unique()}
}

// HealthScore is one computed score of an account that a later one replaced: the
// history. An account's latest score lives in its AccountHealth row, and moves here
// when a changed result replaces it, so a first score is one row, not two.
type HealthScore struct{ ent.Schema }

// Fields of HealthScore.
func (HealthScore) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.UUID("account_id", uuid.UUID{}).Immutable(),
		field.UUID("scorecard_id", uuid.UUID{}).Immutable(),
		field.Int("scorecard_version").Immutable(),
		field.Float("score").Immutable(),
		field.String("grade").Immutable(),
		// contributions are the measures' contributions (see the store's encoding).
		field.Text("contributions").Immutable(),
		field.Time("compute_time").Immutable(),
		// job_id is the recompute job that wrote the row, if one did: unique with the
		// account, so a resumed job never writes an account twice.
		field.UUID("job_id", uuid.UUID{}).Optional().Nillable().Immutable(),
	}
}

// Indexes of HealthScore.
func (HealthScore) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id", "compute_time", "id"),
		index.Fields("job_id", "account_id").Unique(),
	}
}

// AccountHealth is an account's current health: the latest score (with its
// contributions: it is the history's newest entry), its trend, and the effective score
// and grade after any override. Lists filter and sort on it.
type AccountHealth struct{ ent.Schema }

// Fields of AccountHealth.
func (AccountHealth) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(), // the account's id
		field.UUID("score_id", uuid.UUID{}),
		field.UUID("scorecard_id", uuid.UUID{}),
		field.Int("scorecard_version"),
		field.Float("computed_score"),
		field.String("computed_grade"),
		field.Time("compute_time"),
		// change and change_30d are 0 when there is nothing to compare with (has_* false),
		// so lists sort and page on plain columns.
		field.Float("change").Default(0),
		field.Bool("has_change").Default(false),
		field.Float("change_30d").Default(0),
		field.Bool("has_change_30d").Default(false),
		field.String("trend").Default(""),
		field.Float("score"),
		field.String("grade"),
		// digest identifies the computed result (scorecard version, score, every
		// contribution), so a recompute compares results without reading the history.
		field.String("digest").Default(""),
		// override_id is the override in effect, if any.
		field.UUID("override_id", uuid.UUID{}).Optional().Nillable(),
		// override_expire_time lets the sweep find expired overrides with an index.
		field.Time("override_expire_time").Optional().Nillable(),
		// contributions and job_id belong to the score score_id names, as in HealthScore;
		// they move to the history with it.
		field.Text("contributions").Default(""),
		field.UUID("job_id", uuid.UUID{}).Optional().Nillable(),
	}
}

// Indexes of AccountHealth: lists page by score; the sweep finds expiring overrides.
// (Every index costs each recompute a write per account, so there are few.)
func (AccountHealth) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("score", "id"),
		index.Fields("override_expire_time").Annotations(entsql.IndexWhere("override_expire_time IS NOT NULL")),
	}
}

// HealthOverride is a person's override of an account's score: history, never deleted.
type HealthOverride struct{ ent.Schema }

// Fields of HealthOverride.
func (HealthOverride) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.UUID("account_id", uuid.UUID{}).Immutable(),
		field.Float("score").Optional().Nillable().Immutable(),
		field.String("grade").Immutable(),
		field.Text("reason").Immutable(),
		field.String("actor").Immutable(),
		field.Time("set_time").Immutable(),
		field.Time("expire_time").Optional().Nillable().Immutable(),
		// end_time is when it was cleared, replaced or lifted on expiry, by whom and why.
		field.Time("end_time").Optional().Nillable(),
		field.String("ended_by").Default(""),
		field.Text("end_reason").Default(""),
	}
}

// Indexes of HealthOverride.
func (HealthOverride) Indexes() []ent.Index {
	return []ent.Index{index.Fields("account_id", "set_time")}
}

// HealthDirty marks an account whose score must be recomputed once due_time passes:
// many signals in a burst make one recompute.
type HealthDirty struct{ ent.Schema }

// Fields of HealthDirty.
func (HealthDirty) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(), // the account's id
		field.Time("due_time"),
	}
}

// Indexes of HealthDirty.
func (HealthDirty) Indexes() []ent.Index {
	return []ent.Index{index.Fields("due_time")}
}

// RecomputeJob is a background recompute of many accounts, resumable from its cursor.
type RecomputeJob struct{ ent.Schema }

// Fields of RecomputeJob.
func (RecomputeJob) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.Text("filter").Default("").Immutable(),
		field.String("state"),
		field.Time("compute_time").Immutable(),
		field.Int64("total_accounts").Default(0),
		field.Int64("processed_accounts").Default(0),
		field.Int64("changed_scores").Default(0),
		field.Int64("no_data_accounts").Default(0),
		field.Text("error").Default(""),
		field.String("creator").Default(""),
		// cursor is the id of the last account done.
		field.UUID("cursor", uuid.UUID{}).Optional().Nillable(),
		field.Bool("cancel_requested").Default(false),
		// lease_owner holds the job until lease_expire_time; a worker that dies lets the
		// lease lapse and another resumes from cursor.
		field.String("lease_owner").Default(""),
		field.Time("lease_expire_time").Optional().Nillable(),
		field.Time("create_time").Immutable(),
		field.Time("update_time"),
		field.Time("end_time").Optional().Nillable(),
	}
}

// Indexes of RecomputeJob.
func (RecomputeJob) Indexes() []ent.Index {
	return []ent.Index{index.Fields("state", "lease_expire_time")}
}

// WorkerCursor is a background worker's position in a log (e.g. the health worker's in
// the activity log).
type WorkerCursor struct{ ent.Schema }

// Fields of WorkerCursor.
func (WorkerCursor) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable(),
		field.Int64("position").Default(0),
	}
}
