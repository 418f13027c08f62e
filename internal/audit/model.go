package audit

import (
	"time"

	"github.com/google/uuid"
)

// States of an audit case.
const (
	Open          = "OPEN"
	Investigating = "INVESTIGATING"
	Resolved      = "RESOLVED"
	Closed        = "CLOSED"
)

// Severities, mildest first.
var Severities = []string{"LOW", "MEDIUM", "HIGH", "CRITICAL"}

// Sources of a case.
var Sources = []string{"COMPLAINT", "SALES_REPORT", "SURVEY_DETRACTOR", "HEALTH_DROP", "INTERNAL_CHECK"}

// Stages of the customer experience a standard belongs to (决策、体验、评价 / 成交、交付、客服).
var Stages = []string{"DECISION", "EXPERIENCE", "EVALUATION", "DEAL", "DELIVERY", "SERVICE"}

// Department is a team cases are assigned and dispatched to, with its working calendar.
type Department struct {
	ID          string // short key, e.g. "customer-service"
	DisplayName string
	Calendar    Calendar
	CreateTime  time.Time
	UpdateTime  time.Time
	Revision    int64
}

// Standard is a service standard: the stage it belongs to, the department it binds and
// the time to resolve a breach, per severity.
type Standard struct {
	ID          string
	DisplayName string
	Stage       string
	Department  string
	// Targets are working hours to resolve, per severity.
	Targets    map[string]int
	CreateTime time.Time
	UpdateTime time.Time
	Revision   int64
}

// Policy is the audit settings of an installation.
type Policy struct {
	// GreenChannelPercent is the share of a standard's target a green-channel case gets
	// (default 50).
	GreenChannelPercent int `json:"green_channel_percent"`
	// ReopenGraceDays is how long after resolving a case reopens; later, a new linked
	// case is opened (default 14).
	ReopenGraceDays int `json:"reopen_grace_days"`
	// RootCauses is the taxonomy of root-cause codes a close needs one of.
	RootCauses []string `json:"root_causes"`
	// ActionsFrom is the lowest severity whose close needs corrective actions with
	// owners and due dates (default HIGH).
	ActionsFrom string `json:"actions_from"`
	// PersonFrom is the lowest severity whose close needs the accountable person, not
	// only the department (default CRITICAL); empty, no severity does.
	PersonFrom string `json:"person_from,omitempty"`
	// DetractorSeverity and ComplaintSeverity are the severities of cases survey
	// warnings open (default MEDIUM, HIGH); WarningWindowDays is how long an open case
	// collects further warnings of the same account and source (default 30).
	DetractorSeverity string `json:"detractor_severity"`
	ComplaintSeverity string `json:"complaint_severity"`
	WarningWindowDays int    `json:"warning_window_days"`
	// WarningStandard is the standard auto-opened cases are raised against.
	WarningStandard string `json:"warning_standard"`
}

// Case is an audit case: a service problem recorded against a standard.
type Case struct {
	ID           uuid.UUID
	Account      uuid.UUID
	Source       string
	SourceRef    string // the record that raised it, a resource name
	Severity     string
	Standard     string
	Description  string
	Department   string // responsible
	Person       string // responsible
	Auditor      string
	State        string
	GreenChannel bool
	Paused       bool
	// Due is derived from the event log; nil while paused or once resolved.
	Due                   *time.Time
	ResolveTime           *time.Time
	CloseTime             *time.Time
	Reopens               int
	LinkedCase            *uuid.UUID // the earlier case this one continues (reopened after the grace window)
	RootCause             string
	RootCauseText         string
	AccountableDepartment string
	AccountablePerson     string
	Actions               []Action
	Dispatches            []Dispatch
	Resolution            string
	OpenTime              time.Time
	UpdateTime            time.Time
	Revision              int64
}

// Action is a corrective action with its owner and due date.
type Action struct {
	Description string    `json:"description"`
	Owner       string    `json:"owner"`
	Due         time.Time `json:"due"`
}

// Dispatch is a department or person pulled into a case, with its own task.
type Dispatch struct {
	Department string    `json:"department"`
	Person     string    `json:"person"`
	Task       string    `json:"task"`
	Due        time.Time `json:"due"`
	Time       time.Time `json:"time"`
}

// Event kinds of the timeline.
const (
	EvOpened          = "OPENED"
	EvState           = "STATE_CHANGED"
	EvSeverity        = "SEVERITY_CHANGED"
	EvGreenChannel    = "GREEN_CHANNEL"
	EvPaused          = "PAUSED"
	EvResumed         = "RESUMED"
	EvDispatched      = "DISPATCHED"
	EvReassigned      = "REASSIGNED"
	EvNote            = "NOTE"
	EvDeadline        = "DEADLINE_CHANGED"
	EvAccountability  = "ACCOUNTABILITY_SET"
	EvWarningAttached = "WARNING_ATTACHED"
)

// Event is one entry of a case's timeline: what happened, who did it, when.
type Event struct {
	ID     uuid.UUID
	Case   uuid.UUID
	Kind   string
	Time   time.Time
	Actor  string
	Detail map[string]string
}

// CaseName and the other names are resource names.
func CaseName(id uuid.UUID) string { return "audits/" + id.String() }

// StandardName returns a standard's resource name.
func StandardName(id string) string { return "standards/" + id }

// DepartmentName returns a department's resource name.
func DepartmentName(id string) string { return "departments/" + id }
