// Package survey is customer research: NPS and CSAT answers and complaints from an
// account's contacts, their figures per period and segment, exclusions, and the
// throttle that keeps anybody from being surveyed too often.
package survey

import (
	"time"

	"github.com/google/uuid"
)

// Kinds of response.
const (
	KindNPS       = "NPS"       // 0–10: how likely to recommend
	KindCSAT      = "CSAT"      // 1–5: how satisfied
	KindComplaint = "COMPLAINT" // no score
)

// Response is one answer of a contact, or a complaint.
type Response struct {
	ID         uuid.UUID
	Account    uuid.UUID
	Contact    uuid.UUID
	Kind       string
	Score      *int // nil for a complaint
	Comment    string
	Channel    string
	Time       time.Time
	Source     string
	ResponseID string // the sender's id; unique per account and source
	CreateTime time.Time
	Exclusion  *Exclusion
}

// Exclusion leaves a response out of figures; it is kept and can be undone.
type Exclusion struct {
	Reason string
	By     string
	Time   time.Time
}

// Detractor reports whether r is an early warning: an NPS answer of 0–6 or a
// complaint.
func (r *Response) Detractor() bool {
	return r.Kind == KindComplaint || (r.Kind == KindNPS && r.Score != nil && *r.Score <= 6)
}

// Invitation records that a contact was asked to answer a survey.
type Invitation struct {
	ID           uuid.UUID
	Account      uuid.UUID
	Contact      uuid.UUID
	Channel      string
	InvitationID string
	Time         time.Time
	Creator      string
}

// Eligibility says whether a contact may be surveyed now and, if not, why.
type Eligibility struct {
	Eligible bool
	Refusals []Refusal
	// NextTime is the first moment both throttles allow (now when eligible).
	NextTime time.Time
}

// Refusal is one reason a survey is not allowed.
type Refusal struct {
	Reason string // CONTACT_RECENTLY_SURVEYED, ACCOUNT_RECENTLY_SURVEYED
	Detail string
	Until  time.Time
}

// Refusal reasons.
const (
	ContactThrottled = "CONTACT_RECENTLY_SURVEYED"
	AccountThrottled = "ACCOUNT_RECENTLY_SURVEYED"
)

// Segment narrows a report to accounts whose attribute equals a value; empty fields do
// not filter.
type Segment struct {
	Tier, Region, Industry, Owner string
}

// Period is a half-open range of calendar dates [Start, End), compared with response
// times at 00:00 UTC.
type Period struct {
	Start, End time.Time
}

// Counts are a period's non-excluded responses: NPS answers per score (0–10), CSAT
// answers per score (1–5, index 0 unused), and complaints.
type Counts struct {
	NPSByScore  [11]int64
	CSATByScore [6]int64
	Complaints  int64
}

// ResponseName returns a response's resource name.
func ResponseName(account, id uuid.UUID) string {
	return "accounts/" + account.String() + "/surveyResponses/" + id.String()
}
