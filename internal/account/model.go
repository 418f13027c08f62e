// Package account holds the rules of the customer archive: accounts, contacts, deals,
// interactions, ownership (客户备案) and funnel stage history. It knows nothing of gRPC
// or of the database; it declares the Store it needs.
package account

import (
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Enum values are the API's enum names without their type prefix (e.g. "KEY" for
// REVENUE_TIER_KEY); the empty string is "unspecified".

// Sizes, revenue tiers, strategic roles, activity statuses and funnel stages.
var (
	Sizes            = []string{"MICRO", "SMALL", "MEDIUM", "LARGE", "ENTERPRISE"}
	RevenueTiers     = []string{"KEY", "GENERAL", "SMALL"}
	StrategicRoles   = []string{"BENCHMARK", "STRATEGIC", "PARTNER"}
	ActivityStatuses = []string{"NEW", "ACTIVE", "AT_RISK", "CHURNED"}
	// FunnelStages are in funnel order.
	FunnelStages = []string{"EXPOSURE", "LEAD", "OPPORTUNITY", "DEAL", "DELIVERY", "EXPANSION"}
)

// Contact enums.
var (
	SeniorityLevels = []string{"EXECUTIVE", "MANAGER", "OPERATOR"}
	DecisionRoles   = []string{"DECISION_MAKER", "INFLUENCER", "USER"}
	Attitudes       = []string{"SUPPORTER", "NEUTRAL", "OPPONENT"}
)

// Deal kinds.
const (
	KindFirstPurchase = "FIRST_PURCHASE"
	KindRepurchase    = "REPURCHASE"
)

// DealKinds are the kinds of deal.
var DealKinds = []string{KindFirstPurchase, KindRepurchase, "UPSELL", "RENEWAL", "REFERRAL"}

// InteractionKinds are the kinds of interaction.
var InteractionKinds = []string{"CALL", "MEETING", "VISIT", "EMAIL", "EVENT", "SUPPORT"}

// Ownership change kinds.
const (
	OwnershipClaim    = "CLAIM"
	OwnershipTransfer = "TRANSFER"
)

// Account is an organisation in the customer archive.
type Account struct {
	ID             uuid.UUID
	DisplayName    string
	TaxID          string
	Domain         string
	Industry       string
	Region         string
	Size           string
	Labels         []string
	ExternalIDs    map[string]string
	RevenueTier    string
	StrategicRole  string
	ActivityStatus string
	FunnelStage    string
	Owner          string
	FirstOwner     string
	PrimaryContact uuid.UUID // uuid.Nil when the account has no contact
	CreateTime     time.Time
	UpdateTime     time.Time
	DeleteTime     *time.Time
	Revision       int64
}

// Keys are an account's normalised duplicate-detection keys.
type Keys struct{ Name, TaxID, Domain string }

// Keys returns a's duplicate-detection keys.
func (a *Account) Keys() Keys {
	return Keys{Name: NormalizeName(a.DisplayName), TaxID: NormalizeTaxID(a.TaxID), Domain: NormalizeDomain(a.Domain)}
}

// Deleted reports whether a is soft-deleted.
func (a *Account) Deleted() bool { return a.DeleteTime != nil }

// Etag returns a's current etag.
func (a *Account) Etag() string { return etag(a.Revision) }

// Name returns a's resource name.
func (a *Account) Name() string { return AccountName(a.ID) }

// AccountName returns the resource name of account id.
func AccountName(id uuid.UUID) string { return "accounts/" + id.String() }

// Contact is a person at an account.
type Contact struct {
	ID             uuid.UUID
	AccountID      uuid.UUID
	DisplayName    string
	Title          string
	Email          string
	Phone          string
	SeniorityLevel string
	DecisionRole   string
	Attitude       string
	Primary        bool
	ExternalID     string // a syncing partner's id of the contact
	CreateTime     time.Time
	UpdateTime     time.Time
	Revision       int64
}

// Name returns c's resource name.
func (c *Contact) Name() string { return ContactName(c.AccountID, c.ID) }

// Etag returns c's current etag.
func (c *Contact) Etag() string { return etag(c.Revision) }

// ContactName returns the resource name of a contact.
func ContactName(account, id uuid.UUID) string {
	return AccountName(account) + "/contacts/" + id.String()
}

// Money is an amount in minor units of a currency.
type Money struct {
	CurrencyCode string
	MinorUnits   int64
}

// Deal is a closed transaction.
type Deal struct {
	ID         uuid.UUID
	AccountID  uuid.UUID
	Amount     Money
	CloseDate  time.Time // a calendar date: midnight UTC
	Kind       string
	Status     string
	First      bool // the account's first purchase: its earliest won deal
	Product    string
	ExternalID string // a syncing partner's id of the deal
	CreateTime time.Time
	UpdateTime time.Time
	Revision   int64
}

// Name returns d's resource name.
func (d *Deal) Name() string { return dealName(d.AccountID, d.ID) }

// Etag returns d's current etag.
func (d *Deal) Etag() string { return etag(d.Revision) }

// Interaction is a follow-up on an account's timeline.
type Interaction struct {
	ID           uuid.UUID
	AccountID    uuid.UUID
	Kind         string
	OccurTime    time.Time
	Participants []string
	Summary      string
	CreateTime   time.Time
	UpdateTime   time.Time
	Revision     int64
}

// Name returns i's resource name.
func (i *Interaction) Name() string {
	return AccountName(i.AccountID) + "/interactions/" + i.ID.String()
}

// Etag returns i's current etag.
func (i *Interaction) Etag() string { return etag(i.Revision) }

// OwnershipPeriod is one period of one owner.
type OwnershipPeriod struct {
	ID        uuid.UUID
	AccountID uuid.UUID
	Owner     string
	StartTime time.Time
	EndTime   *time.Time
	Kind      string
	Reason    string
}

// StageChange records an account entering a funnel stage.
type StageChange struct {
	ID         uuid.UUID
	AccountID  uuid.UUID
	FromStage  string
	ToStage    string
	ChangeTime time.Time
}

// PrimaryContactChange records a change of primary contact.
type PrimaryContactChange struct {
	ID          uuid.UUID
	AccountID   uuid.UUID
	FromContact uuid.UUID // uuid.Nil for the first primary contact
	ToContact   uuid.UUID
	Reason      string
	ChangeTime  time.Time
}

// etag is the revision in decimal: it changes on every write of the resource.
func etag(rev int64) string { return strconv.FormatInt(rev, 10) }

// etagMatches reports whether a caller's etag matches the current one; quotes and a weak prefix
// (W/"3") are accepted since HTTP clients add them.
func etagMatches(given, current string) bool {
	if len(given) > 2 && given[:2] == "W/" {
		given = given[2:]
	}
	if len(given) >= 2 && given[0] == '"' && given[len(given)-1] == '"' {
		given = given[1 : len(given)-1]
	}
	return given == current
}

func validEnum(v string, values []string) bool { return v == "" || slices.Contains(values, v) }
