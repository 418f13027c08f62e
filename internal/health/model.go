// Package health is health scoring: signals in, versioned scorecards, explainable
// scores with history and trend, overrides, and the background recomputes that keep
// scores current. The computation itself (engine.go) is pure: the same inputs and
// scorecard version give the same score, bit for bit.
package health

import (
	"time"

	"github.com/google/uuid"
)

// Signal is one timestamped fact about an account.
type Signal struct {
	ID          uuid.UUID
	Account     uuid.UUID
	Measure     string
	ValueMicros int64 // the value × 10⁶
	Time        time.Time
	Source      string
	SignalID    string // the sender's id; unique per account and source
	CreateTime  time.Time
}

// Value returns the signal's value.
func (s *Signal) Value() float64 { return float64(s.ValueMicros) / 1e6 }

// Aggregations.
const (
	AggSum       = "SUM"
	AggAverage   = "AVERAGE"
	AggLast      = "LAST"
	AggCount     = "COUNT"
	AggDaysSince = "DAYS_SINCE"
)

// Missing-data rules.
const (
	MissingSkip  = "SKIP"
	MissingZero  = "ZERO"
	MissingFixed = "FIXED"
)

// Grades.
const (
	GradeRed    = "RED"
	GradeYellow = "YELLOW"
	GradeGreen  = "GREEN"
)

// Trends.
const (
	TrendImproving = "IMPROVING"
	TrendStable    = "STABLE"
	TrendDeclining = "DECLINING"
)

// Measure is one ingredient of a score.
type Measure struct {
	Key           string  `json:"key"`
	DisplayName   string  `json:"display_name,omitempty"`
	Group         string  `json:"group"`
	Source        string  `json:"source"`
	Aggregation   string  `json:"aggregation"`
	WindowDays    int     `json:"window_days,omitempty"`
	Linear        *Linear `json:"linear,omitempty"`
	Bands         []Band  `json:"bands,omitempty"`
	Inverted      bool    `json:"inverted,omitempty"`
	Weight        float64 `json:"weight"`
	Missing       string  `json:"missing"`
	MissingPoints float64 `json:"missing_points,omitempty"`
}

// Linear maps [Low, High] onto [0, 100].
type Linear struct {
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// Band gives values from Min the given Points.
type Band struct {
	Min    float64 `json:"min"`
	Points float64 `json:"points"`
}

// GradeBands turn a score into a grade.
type GradeBands struct {
	YellowFrom float64 `json:"yellow_from"`
	GreenFrom  float64 `json:"green_from"`
}

// Grade returns score's grade.
func (b GradeBands) Grade(score float64) string {
	switch {
	case score < b.YellowFrom:
		return GradeRed
	case score < b.GreenFrom:
		return GradeYellow
	}
	return GradeGreen
}

// Definition is what a scorecard version scores with. Versions are immutable.
type Definition struct {
	Measures []Measure  `json:"measures"`
	Bands    GradeBands `json:"grade_bands"`
}

// Scorecard is a health model at one version.
type Scorecard struct {
	ID                uuid.UUID
	DisplayName       string
	Description       string
	IsDefault         bool
	Tiers             []string // revenue tiers targeted (empty: any)
	Industries        []string // industries targeted (empty: any)
	Version           int
	VersionCreateTime time.Time
	Definition        Definition
	CreateTime        time.Time
	UpdateTime        time.Time
	Revision          int64
}

// ScorecardName returns a scorecard's resource name.
func ScorecardName(id uuid.UUID) string { return "scorecards/" + id.String() }

// ScoreName returns an account's health score resource name.
func ScoreName(account uuid.UUID) string { return "accounts/" + account.String() + "/healthScore" }

// Contribution is what one measure added to a score.
type Contribution struct {
	Measure    string   `json:"measure"`
	Group      string   `json:"group"`
	Raw        *float64 `json:"raw,omitempty"`
	Normalized float64  `json:"normalized"`
	Weight     float64  `json:"weight"`
	Points     float64  `json:"points"`
	Missing    bool     `json:"missing,omitempty"`
	Skipped    bool     `json:"skipped,omitempty"`
}

// Result is a computed score.
type Result struct {
	Score         float64
	Grade         string
	Contributions []Contribution
}

// Score is one computed score of an account (a history entry).
type Score struct {
	ID               uuid.UUID
	Account          uuid.UUID
	Scorecard        uuid.UUID
	ScorecardVersion int
	Result
	ComputeTime time.Time
	Job         *uuid.UUID
}

// Override is a person's score or grade for an account.
type Override struct {
	ID         uuid.UUID
	Account    uuid.UUID
	Score      *float64
	Grade      string // set, or derived from Score
	Reason     string
	Actor      string
	SetTime    time.Time
	ExpireTime *time.Time
	EndTime    *time.Time
	EndedBy    string // who cleared or replaced it; "system" when it expired
	EndReason  string
}

// ActiveAt reports whether the override applies at t.
func (o *Override) ActiveAt(t time.Time) bool {
	return !o.SetTime.After(t) && (o.EndTime == nil || o.EndTime.After(t)) && (o.ExpireTime == nil || o.ExpireTime.After(t))
}

// Current is an account's current health: its latest score with trend, and the
// effective score and grade after any override.
type Current struct {
	Account   uuid.UUID
	ScoreID   uuid.UUID
	Scorecard uuid.UUID
	Version   int
	Computed  float64
	Grade     string // computed grade
	Time      time.Time
	// Change is against the previous computed score: nil only while the account has
	// had one computed score (scoring relies on that to skip the history).
	Change     *float64
	Change30d  *float64
	Trend      string
	Effective  float64
	EffGrade   string
	OverrideID *uuid.UUID
	// Digest identifies the computed result (Result.Digest).
	Digest string
	// OverrideExpire is the override's expiry, for the sweep.
	OverrideExpire *time.Time
}

// HealthScore is what callers read: the computed score with its explanation, trend and
// the override in effect.
type HealthScore struct {
	Account   uuid.UUID
	Score     float64 // in effect
	Grade     string  // in effect
	Computed  Score
	Change    *float64
	Change30d *float64
	Trend     string
	Override  *Override
}

// Job states.
const (
	JobRunning   = "RUNNING"
	JobSucceeded = "SUCCEEDED"
	JobCancelled = "CANCELLED"
	JobFailed    = "FAILED"
)

// Job is a background recompute.
type Job struct {
	ID              uuid.UUID
	Filter          string
	State           string
	ComputeTime     time.Time
	Total           int64
	Processed       int64
	Changed         int64
	NoData          int64
	Error           string
	Creator         string
	Cursor          *uuid.UUID
	CancelRequested bool
	LeaseOwner      string
	LeaseExpire     *time.Time
	CreateTime      time.Time
	UpdateTime      time.Time
	EndTime         *time.Time
}

// JobName returns a job's resource name.
func JobName(id uuid.UUID) string { return "recomputeJobs/" + id.String() }

// Target is what choosing a scorecard for an account needs to know about it.
type Target struct {
	ID         uuid.UUID
	Tier       string
	Industry   string
	DeleteTime *time.Time
	Partners   []string // the partners linked to the account by an external id
}
