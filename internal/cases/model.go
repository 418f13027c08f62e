// Package cases is the library of best-practice cases (最佳实践): a customer story that
// solved a key business problem, typical of its industry, with quantified results and
// the customer's acknowledgement. The server checks the three standards, a reviewer
// other than the author approves, and published cases are searched by industry,
// problem category, product, tag, account and full text (Chinese and English).
//
// A case's content lives in versions: the working version is edited and reviewed; the
// published version is what readers see. Editing a published case starts a new working
// version, so readers keep seeing the published one until the new one is approved.
package cases

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/failure"
)

// Workflow states of a case's working version.
const (
	Draft     = "DRAFT"
	InReview  = "IN_REVIEW"
	Published = "PUBLISHED"
	Archived  = "ARCHIVED"
)

// States lists the workflow states.
var States = []string{Draft, InReview, Published, Archived}

// Acknowledgement scopes: the use the customer allows.
const (
	ScopeInternal       = "INTERNAL"
	ScopeSalesReference = "SALES_REFERENCE"
	ScopePublic         = "PUBLIC"
)

// Standards a case must meet to be submitted and published.
const (
	StandardCustomerSuccess   = "CUSTOMER_SUCCESS"
	StandardIndustryCase      = "INDUSTRY_CASE"
	StandardQuantifiedResults = "QUANTIFIED_RESULTS"
)

// Actions recorded in a case's history.
const (
	ActionCreate  = "CREATE"
	ActionUpdate  = "UPDATE"
	ActionSubmit  = "SUBMIT"
	ActionApprove = "APPROVE"
	ActionReject  = "REJECT"
	ActionArchive = "ARCHIVE"
	ActionRevoke  = "REVOKE_ACKNOWLEDGEMENT"
	// ActionExpire is written by the background work once a version's acknowledgement
	// has expired (the case left published search at the expiry itself).
	ActionExpire = "ACKNOWLEDGEMENT_EXPIRED"
)

// Kinds of the admin-managed lists.
const (
	KindIndustry        = "industry"
	KindProblemCategory = "problem_category"
	KindProduct         = "product"
)

// Collections maps a list kind to its collection in resource names.
var Collections = map[string]string{
	KindIndustry:        "industries",
	KindProblemCategory: "problemCategories",
	KindProduct:         "products",
}

// Views choose which version a read returns.
const (
	ViewLatest    = "LATEST"
	ViewPublished = "PUBLISHED"
)

// Result is one measured outcome. It is quantified when metric, both values, unit,
// period and method are given.
type Result struct {
	Metric      string
	Before      *float64
	After       *float64
	Unit        string
	Period      string
	Method      string
	MeasureDate time.Time // zero: not given
}

// Missing returns the fields that keep r from being quantified, in API spelling.
func (r Result) Missing() []string {
	var m []string
	if r.Metric == "" {
		m = append(m, "metric")
	}
	if r.Before == nil {
		m = append(m, "value_before")
	}
	if r.After == nil {
		m = append(m, "value_after")
	}
	if r.Unit == "" {
		m = append(m, "unit")
	}
	if r.Period == "" {
		m = append(m, "period")
	}
	if r.Method == "" {
		m = append(m, "method")
	}
	return m
}

// Quantified reports whether r has every part of a measured result.
func (r Result) Quantified() bool { return len(r.Missing()) == 0 }

// Acknowledgement is the customer's acknowledgement of a case (客户认可).
type Acknowledgement struct {
	Account      uuid.UUID // the account of the contact (from its resource name)
	Contact      uuid.UUID
	Time         time.Time // zero: not given
	Scope        string
	ExpireTime   *time.Time
	RevokeTime   *time.Time
	RevokedBy    string
	RevokeReason string
	// ContactGone is set by the store when the acknowledging contact no longer exists
	// (it was deleted after acknowledging): whoever acknowledged the case is no longer
	// on record, so the acknowledgement stops counting. Not stored: checked on every
	// read, so a deletion anywhere takes effect without touching the case.
	ContactGone bool
}

// InForce reports whether the acknowledgement holds at t: a contact (still on record)
// and a time are given, it is not revoked and has not expired.
func (a *Acknowledgement) InForce(t time.Time) bool {
	return a != nil && a.Contact != uuid.Nil && !a.ContactGone && !a.Time.IsZero() && a.Scope != "" && a.RevokeTime == nil &&
		(a.ExpireTime == nil || a.ExpireTime.After(t))
}

// Content is what a case says: the form's fields.
type Content struct {
	Title           string
	Account         uuid.UUID
	Industry        string // key in the industry list, e.g. "retail"
	ProblemCategory string
	Scenario        string
	Problem         string
	Solution        string
	Products        []string // keys in the product list
	Tags            []string
	Results         []Result
	Ack             *Acknowledgement // nil: none
}

// Version is one version of a case's content.
type Version struct {
	ID         uuid.UUID
	Case       uuid.UUID
	Number     int
	CreateTime time.Time
	UpdateTime time.Time
	Editor     string
	Content
}

// Case is a best-practice case.
type Case struct {
	ID            uuid.UUID
	CreateTime    time.Time
	UpdateTime    time.Time
	Revision      int64
	State         string
	Author        string
	Working       *Version
	Published     *Version // nil: never published
	PublishTime   *time.Time
	VersionCount  int
	ReviewComment string
	Rank          float64 // relevance to a search query; 0 otherwise
	// Checks, IsLive and AckInForce are computed when the case is read: the checklist
	// of the version shown, whether readers see the case, and whether the shown
	// version's acknowledgement holds.
	Checks     []Check
	IsLive     bool
	AckInForce bool
	// View is the version a read shows: ViewLatest (Working) or ViewPublished
	// (Published, in state PUBLISHED).
	View string
}

// Shown returns the version the read shows and the state to show with it.
func (c *Case) Shown() (*Version, string) {
	if c.View == ViewPublished && c.Published != nil {
		return c.Published, Published
	}
	return c.Working, c.State
}

// Live reports whether readers see the case at t: it has a published version, is not
// archived, and the published version's acknowledgement holds.
func (c *Case) Live(t time.Time) bool {
	return c.Published != nil && c.State != Archived && c.Published.Ack.InForce(t)
}

// Etag is the case's etag.
func (c *Case) Etag() string { return strconv.FormatInt(c.Revision, 10) }

// Name returns the case's resource name.
func (c *Case) Name() string { return CaseName(c.ID) }

// CaseName returns the resource name of case id.
func CaseName(id uuid.UUID) string { return "cases/" + id.String() }

// Event is one entry of a case's history.
type Event struct {
	ID      uuid.UUID
	Case    uuid.UUID
	Time    time.Time
	Actor   string
	Action  string
	From    string
	To      string
	Version int
	Comment string
}

// Term is an entry of an admin-managed list.
type Term struct {
	Kind        string
	Key         string
	DisplayName string
	Description string
	CreateTime  time.Time
}

// TermName returns the resource name of an entry, e.g. "industries/retail".
func TermName(kind, key string) string { return Collections[kind] + "/" + key }

// Check is the verdict on one standard.
type Check struct {
	Standard    string
	Met         bool
	Missing     []string // field paths with what is wrong
	Explanation string
}

// Checklist checks c against the three standards at t. account is the case's
// account, which the acknowledging contact must belong to.
func Checklist(c *Content, t time.Time) []Check {
	var out []Check

	var m []string
	if c.Problem == "" {
		m = append(m, "problem: the key business problem is not stated")
	}
	if c.ProblemCategory == "" {
		m = append(m, "problem_category: not chosen")
	}
	if c.Solution == "" {
		m = append(m, "solution: not stated")
	}
	switch a := c.Ack; {
	case a == nil || a.Contact == uuid.Nil:
		m = append(m, "acknowledgement.contact: the customer has not acknowledged the case")
	default:
		if a.Account != c.Account {
			m = append(m, "acknowledgement.contact: not a contact of the case's account")
		} else if a.ContactGone {
			m = append(m, "acknowledgement.contact: the acknowledging contact was deleted; a current contact must acknowledge the case")
		}
		if a.Time.IsZero() {
			m = append(m, "acknowledgement.acknowledge_time: not given")
		}
		if a.Scope == "" {
			m = append(m, "acknowledgement.scope: not given")
		}
		if a.RevokeTime != nil {
			m = append(m, "acknowledgement: revoked by the customer on "+a.RevokeTime.Format(time.DateOnly))
		} else if a.ExpireTime != nil && !a.ExpireTime.After(t) {
			m = append(m, "acknowledgement: expired on "+a.ExpireTime.Format(time.DateOnly))
		}
	}
	out = append(out, verdict(StandardCustomerSuccess, m,
		"the case solves a stated key business problem and the customer acknowledged it",
		"a customer success needs the business problem, its category, the solution and the customer's acknowledgement in force"))

	m = nil
	if c.Industry == "" {
		m = append(m, "industry: not chosen")
	}
	if c.Scenario == "" {
		m = append(m, "scenario: not stated")
	}
	if c.Problem == "" {
		m = append(m, "problem: not stated")
	}
	if c.Solution == "" {
		m = append(m, "solution: not stated")
	}
	if len(c.Products) == 0 {
		m = append(m, "products: none listed")
	}
	out = append(out, verdict(StandardIndustryCase, m,
		"industry, scenario, problem, solution and products are stated, so others in the industry can reuse it",
		"a typical, transferable industry case states its industry, scenario, problem, solution and products used"))

	m = nil
	if len(c.Results) == 0 {
		m = append(m, "results: no measured result")
	}
	for i, r := range c.Results {
		for _, f := range r.Missing() {
			m = append(m, fmt.Sprintf("results[%d].%s: missing", i, f))
		}
	}
	out = append(out, verdict(StandardQuantifiedResults, m,
		fmt.Sprintf("%d result(s), each with metric, before and after values, unit, period and method", len(c.Results)),
		"every result needs a metric, the values before and after, a unit, the period measured and the method; vague claims do not count"))
	return out
}

func verdict(std string, missing []string, met, notMet string) Check {
	if len(missing) == 0 {
		return Check{Standard: std, Met: true, Explanation: met}
	}
	return Check{Standard: std, Missing: missing, Explanation: notMet}
}

// unmet returns the checks not met.
func unmet(checks []Check) []Check {
	var out []Check
	for _, c := range checks {
		if !c.Met {
			out = append(out, c)
		}
	}
	return out
}

// StandardsError is the FAILED_PRECONDITION (reason STANDARDS_NOT_MET) of submitting or
// approving a case that fails a standard. It wraps the failure (so it maps to its code,
// message and ErrorInfo like any other) and keeps the unmet checks, one per standard,
// so the transport can add a google.rpc.PreconditionFailure violation for each.
type StandardsError struct {
	Err   *failure.Error
	Unmet []Check
}

func (e *StandardsError) Error() string { return e.Err.Error() }

// Unwrap returns the failure, so failure.As finds it.
func (e *StandardsError) Unwrap() error { return e.Err }

func standardsError(c *Case, checks []Check) error {
	var missing []string
	for _, ch := range checks {
		for _, m := range ch.Missing {
			missing = append(missing, ch.Standard+": "+m)
		}
	}
	return &StandardsError{Unmet: checks,
		Err: failure.Newf(failure.FailedPrecondition, "case %q does not meet the standards: %s", c.Name(), strings.Join(missing, "; ")).
			WithReason("STANDARDS_NOT_MET").WithResource(c.Name())}
}
