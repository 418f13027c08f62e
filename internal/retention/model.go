// Package retention is where each customer stands in its lifecycle: one retention label
// per account (NEWLY_SIGNED, IN_USE, EXPANSION, AT_RISK, CHURNED) set by configurable
// rules or by a person, with history and cause, and the alert a slip into AT_RISK
// raises for the account's owner. Rule evaluation (engine.go) is pure and
// deterministic: the same facts, policy and moment give the same label.
package retention

import (
	"time"

	"github.com/google/uuid"
)

// Labels.
const (
	NewlySigned = "NEWLY_SIGNED"
	InUse       = "IN_USE"
	Expansion   = "EXPANSION"
	AtRisk      = "AT_RISK"
	Churned     = "CHURNED"
)

// Labels lists every label; RuleOrder is the fixed order rules are evaluated in, by the
// label they give (rules for the same label in the policy's order). A customer no rule
// matches is IN_USE.
var (
	Labels    = []string{NewlySigned, InUse, Expansion, AtRisk, Churned}
	RuleOrder = []string{Churned, AtRisk, NewlySigned, Expansion}
)

// Condition kinds.
const (
	CondFirstDealWithin = "FIRST_DEAL_WITHIN_DAYS"  // the first closed deal is at most Days old
	CondNoInteraction   = "NO_INTERACTION_FOR_DAYS" // no interaction for more than Days (or none ever)
	CondHealthGrade     = "HEALTH_GRADE_IN"         // the health grade in effect is one of Grades
	CondRenewalDue      = "RENEWAL_DUE_WITHIN_DAYS" // the term of the last deal ends within Days, no newer deal
	CondContractEnded   = "CONTRACT_ENDED"          // the term of the last deal has ended, no newer deal
	CondSignalAtLeast   = "SIGNAL_AT_LEAST"         // the latest Measure signal within Days is ≥ AtLeast
	CondDetractor       = "DETRACTOR_WITHIN_DAYS"   // an NPS answer of 0–6 or a complaint within Days
)

// Condition is one test a rule makes.
type Condition struct {
	Kind    string   `json:"kind"`
	Days    int      `json:"days,omitempty"`
	Grades  []string `json:"grades,omitempty"`
	Measure string   `json:"measure,omitempty"`
	AtLeast float64  `json:"at_least,omitempty"`
}

// Rule gives Label to a customer when all of its conditions hold.
type Rule struct {
	Key         string      `json:"key"`
	Label       string      `json:"label"`
	Description string      `json:"description,omitempty"`
	Conditions  []Condition `json:"conditions"`
	Disabled    bool        `json:"disabled,omitempty"`
}

// Definition is what a policy says: its rules and how alerts are made.
type Definition struct {
	Rules []Rule `json:"rules"`
	// TermDays is how long a closed deal's contract runs: its renewal is due TermDays
	// after its close date (deals carry no end date of their own).
	TermDays int `json:"term_days"`
	// AlertDueDays is how long an owner has to handle an at-risk alert.
	AlertDueDays int      `json:"alert_due_days"`
	Playbook     []string `json:"playbook"`
}

// Policy is the installation's one retention policy.
type Policy struct {
	Definition
	Revision   int64
	UpdatedBy  string
	UpdateTime time.Time
}

// Facts are what the rules read about one account at a moment.
type Facts struct {
	Exists          bool       // created before the moment and not deleted
	Owner           string     // the account's owner now
	FirstDeal       *time.Time // close date of the first closed deal up to the moment
	LastDeal        *time.Time // close date of the latest closed deal up to the moment
	LastInteraction *time.Time // the latest interaction up to the moment
	LastDetractor   *time.Time // the latest NPS answer of 0–6 or complaint (not excluded)
	Grade           string     // the health grade in effect ("" when unscored)
	Signals         map[string]SignalValue
}

// SignalValue is the latest value of a measure and when it was sent.
type SignalValue struct {
	Value float64
	Time  time.Time
}

// Causes of a label change.
const (
	CauseRule          = "RULE"
	CauseManual        = "MANUAL"
	CauseManualCleared = "MANUAL_CLEARED"
	CauseManualExpired = "MANUAL_EXPIRED"
)

// State is an account's current label.
type State struct {
	Account      uuid.UUID
	Label        string // in effect; "" = not a customer
	Since        time.Time
	RuleLabel    string // what the rules give
	RuleKey      string
	Facts        map[string]string
	Manual       *Manual
	EvaluateTime time.Time
}

// Manual is a label a person set; it wins over the rules until it expires or is
// cleared.
type Manual struct {
	Label      string
	Reason     string
	By         string
	SetTime    time.Time
	ExpireTime *time.Time
}

// Change is one change of an account's label, with its cause.
type Change struct {
	ID       uuid.UUID
	Account  uuid.UUID
	From, To string
	Time     time.Time
	Cause    string
	RuleKey  string
	Facts    map[string]string
	Actor    string
	Reason   string
	WinBack  bool // a churned customer bought again
}

// Alert states and outcomes.
const (
	AlertOpen         = "OPEN"
	AlertAcknowledged = "ACKNOWLEDGED"
	AlertInProgress   = "IN_PROGRESS"
	AlertClosed       = "CLOSED"

	OutcomeRecovered  = "RECOVERED"
	OutcomeChurned    = "CHURNED"
	OutcomeFalseAlarm = "FALSE_ALARM"
)

// Alert is the task an account's entering AT_RISK creates for its owner.
type Alert struct {
	ID             uuid.UUID
	Account        uuid.UUID
	Change         uuid.UUID // the label change that raised it
	Owner          string
	State          string
	DueTime        time.Time
	Steps          []Step
	Outcome        string
	Note           string
	AcknowledgeBy  string
	AcknowledgedAt *time.Time
	ClosedBy       string
	CloseTime      *time.Time
	CreateTime     time.Time
	UpdateTime     time.Time
	Revision       int64
}

// Step is one step of an alert's playbook.
type Step struct {
	Title string `json:"title"`
	Done  bool   `json:"done"`
}

// LabelName, AlertName and PolicyName are resource names.
func LabelName(account uuid.UUID) string { return "accounts/" + account.String() + "/retentionLabel" }
func AlertName(id uuid.UUID) string      { return "retentionAlerts/" + id.String() }

const PolicyName = "retentionPolicy"
