package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/listing"
	"github.com/furrowhq/furrow/internal/page"
)

// Store errors, shared with the archive's store.
var (
	ErrNotFound = account.ErrNotFound
	ErrUnique   = account.ErrUnique
)

// Service implements service audits.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService returns a Service over store; now is the clock (nil: time.Now).
func NewService(store Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, now: now}
}

// WithClock returns the service over the same store with another clock: a tool that
// replays past events (the demo seed) opens and works cases at the moments they
// happened.
func (s *Service) WithClock(now func() time.Time) *Service {
	return &Service{store: s.store, now: now}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

func invalid(field, format string, args ...any) error {
	return failure.InvalidFields([]failure.Violation{{Field: field, Description: fmt.Sprintf(format, args...)}})
}

// ---- Defaults, departments, standards, policy ----

// Default keys created on first start.
const (
	DefaultDepartment = "customer-success"
	DefaultStandard   = "customer-feedback"
)

// EnsureDefaults creates, on an installation that has none, a 24×7 customer-success
// department, a customer-feedback standard that survey warnings are raised against,
// and the default policy.
func (s *Service) EnsureDefaults(ctx context.Context) error {
	return s.store.WithAuditTx(ctx, func(tx Tx) error {
		if _, err := tx.GetAuditPolicy(ctx); err == nil {
			return nil
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		now := s.clock()
		if _, err := tx.GetAuditDepartment(ctx, DefaultDepartment); errors.Is(err, ErrNotFound) {
			if err := tx.SaveAuditDepartment(ctx, &Department{ID: DefaultDepartment, DisplayName: "Customer success", CreateTime: now, UpdateTime: now, Revision: 1}, true); err != nil {
				return err
			}
		}
		if _, err := tx.GetAuditStandard(ctx, DefaultStandard); errors.Is(err, ErrNotFound) {
			if err := tx.SaveAuditStandard(ctx, &Standard{ID: DefaultStandard, DisplayName: "Customer feedback is answered", Stage: "SERVICE",
				Department: DefaultDepartment, Targets: map[string]int{"LOW": 72, "MEDIUM": 48, "HIGH": 24, "CRITICAL": 8},
				CreateTime: now, UpdateTime: now, Revision: 1}, true); err != nil {
				return err
			}
		}
		p := DefaultPolicy()
		p.WarningStandard = DefaultStandard
		return tx.SaveAuditPolicy(ctx, &p)
	})
}

// SaveDepartment creates (create true) or replaces a department.
func (s *Service) SaveDepartment(ctx context.Context, d *Department, create bool) (*Department, error) {
	if !keyPattern.MatchString(d.ID) {
		return nil, invalid("department_id", "must be lower case letters, digits and -, starting with a letter")
	}
	if err := d.Calendar.Validate(); err != nil {
		return nil, invalid("department.calendar", "%v", err)
	}
	err := s.store.WithAuditTx(ctx, func(tx Tx) error {
		now := s.clock()
		cur, err := tx.GetAuditDepartment(ctx, d.ID)
		switch {
		case create && err == nil:
			return failure.Newf(failure.AlreadyExists, "department %q already exists", DepartmentName(d.ID)).WithResource(DepartmentName(d.ID))
		case !create && errors.Is(err, ErrNotFound):
			return failure.Newf(failure.NotFound, "department %q not found", DepartmentName(d.ID)).WithResource(DepartmentName(d.ID))
		case err != nil && !errors.Is(err, ErrNotFound):
			return err
		}
		d.UpdateTime, d.Revision, d.CreateTime = now, 1, now
		if cur != nil {
			d.CreateTime, d.Revision = cur.CreateTime, cur.Revision+1
		}
		if err := tx.SaveAuditDepartment(ctx, d, create); err != nil {
			return err
		}
		if err := tx.RecordActivity(ctx, activity.New(ctx, now, DepartmentName(d.ID), map[bool]string{true: "create", false: "update"}[create], uuid.Nil, nil)); err != nil {
			return err
		}
		if cur == nil || sameCalendar(cur.Calendar, d.Calendar) {
			return nil
		}
		// The deadlines of the live cases it owns or owned follow the new calendar now,
		// not at their next change.
		ids, err := tx.LiveAuditCaseIDs(ctx, LiveCases{Department: d.ID})
		if err != nil {
			return err
		}
		return s.rederive(ctx, tx, ids, "the calendar of "+DepartmentName(d.ID)+" changed")
	})
	return d, err
}

// SaveStandard creates (create true) or replaces a standard.
func (s *Service) SaveStandard(ctx context.Context, st *Standard, create bool) (*Standard, error) {
	if !keyPattern.MatchString(st.ID) {
		return nil, invalid("standard_id", "must be lower case letters, digits and -, starting with a letter")
	}
	if !slices.Contains(Stages, st.Stage) {
		return nil, invalid("standard.stage", "must be one of %v", Stages)
	}
	for _, sev := range Severities {
		if st.Targets[sev] <= 0 {
			return nil, invalid("standard.targets", "every severity (%v) needs a target of at least one working hour; %s has none", Severities, sev)
		}
	}
	err := s.store.WithAuditTx(ctx, func(tx Tx) error {
		if _, err := tx.GetAuditDepartment(ctx, st.Department); errors.Is(err, ErrNotFound) {
			return invalid("standard.department", "department %q does not exist", DepartmentName(st.Department))
		} else if err != nil {
			return err
		}
		now := s.clock()
		cur, err := tx.GetAuditStandard(ctx, st.ID)
		switch {
		case create && err == nil:
			return failure.Newf(failure.AlreadyExists, "standard %q already exists", StandardName(st.ID)).WithResource(StandardName(st.ID))
		case !create && errors.Is(err, ErrNotFound):
			return failure.Newf(failure.NotFound, "standard %q not found", StandardName(st.ID)).WithResource(StandardName(st.ID))
		case err != nil && !errors.Is(err, ErrNotFound):
			return err
		}
		st.UpdateTime, st.Revision, st.CreateTime = now, 1, now
		if cur != nil {
			st.CreateTime, st.Revision = cur.CreateTime, cur.Revision+1
		}
		if err := tx.SaveAuditStandard(ctx, st, create); err != nil {
			return err
		}
		if err := tx.RecordActivity(ctx, activity.New(ctx, now, StandardName(st.ID), map[bool]string{true: "create", false: "update"}[create], uuid.Nil, nil)); err != nil {
			return err
		}
		if cur == nil || maps.Equal(cur.Targets, st.Targets) {
			return nil // a new department binds new cases only; open ones keep theirs
		}
		ids, err := tx.LiveAuditCaseIDs(ctx, LiveCases{Standard: st.ID})
		if err != nil {
			return err
		}
		return s.rederive(ctx, tx, ids, "the targets of "+StandardName(st.ID)+" changed")
	})
	return st, err
}

// Departments lists the departments.
func (s *Service) Departments(ctx context.Context) ([]*Department, error) {
	return s.store.ListAuditDepartments(ctx)
}

// Standards lists the standards.
func (s *Service) Standards(ctx context.Context) ([]*Standard, error) {
	return s.store.ListAuditStandards(ctx)
}

// GetStandard returns a standard.
func (s *Service) GetStandard(ctx context.Context, id string) (*Standard, error) {
	st, err := s.store.GetAuditStandard(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, failure.Newf(failure.NotFound, "standard %q not found", StandardName(id)).WithResource(StandardName(id))
	}
	return st, err
}

// GetDepartment returns a department.
func (s *Service) GetDepartment(ctx context.Context, id string) (*Department, error) {
	d, err := s.store.GetAuditDepartment(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, failure.Newf(failure.NotFound, "department %q not found", DepartmentName(id)).WithResource(DepartmentName(id))
	}
	return d, err
}

// Policy returns the audit settings.
func (s *Service) Policy(ctx context.Context) (*Policy, error) {
	p, err := s.store.GetAuditPolicy(ctx)
	if errors.Is(err, ErrNotFound) {
		d := DefaultPolicy()
		return &d, nil
	}
	return p, err
}

// UpdatePolicy replaces the audit settings.
func (s *Service) UpdatePolicy(ctx context.Context, p *Policy) (*Policy, error) {
	switch {
	case p.GreenChannelPercent < 1 || p.GreenChannelPercent > 100:
		return nil, invalid("policy.green_channel_percent", "must be 1 to 100")
	case p.ReopenGraceDays < 0 || p.ReopenGraceDays > 365:
		return nil, invalid("policy.reopen_grace_days", "must be 0 to 365")
	case len(p.RootCauses) == 0:
		return nil, invalid("policy.root_causes", "a close needs a root cause from this list: give at least one")
	case !slices.Contains(Severities, p.ActionsFrom), !slices.Contains(Severities, p.DetractorSeverity), !slices.Contains(Severities, p.ComplaintSeverity):
		return nil, invalid("policy", "actions_from, detractor_severity and complaint_severity must be one of %v", Severities)
	case p.PersonFrom != "" && !slices.Contains(Severities, p.PersonFrom):
		return nil, invalid("policy.person_from", "must be empty (no severity) or one of %v", Severities)
	case p.WarningWindowDays < 0 || p.WarningWindowDays > 365:
		return nil, invalid("policy.warning_window_days", "must be 0 to 365")
	}
	err := s.store.WithAuditTx(ctx, func(tx Tx) error {
		if _, err := tx.GetAuditStandard(ctx, p.WarningStandard); err != nil {
			if errors.Is(err, ErrNotFound) {
				return invalid("policy.warning_standard", "standard %q does not exist", StandardName(p.WarningStandard))
			}
			return err
		}
		old, err := s.policy(ctx, tx)
		if err != nil {
			return err
		}
		if err := tx.SaveAuditPolicy(ctx, p); err != nil {
			return err
		}
		if err := tx.RecordActivity(ctx, activity.New(ctx, s.clock(), "auditPolicy", "update", uuid.Nil, nil)); err != nil {
			return err
		}
		if old.GreenChannelPercent == p.GreenChannelPercent {
			return nil // nothing else in the policy moves a deadline
		}
		ids, err := tx.LiveAuditCaseIDs(ctx, LiveCases{GreenChannel: true})
		if err != nil {
			return err
		}
		return s.rederive(ctx, tx, ids, "the green channel's share changed")
	})
	return p, err
}

// ---- Cases ----

func caseNotFound(id uuid.UUID) error {
	return failure.Newf(failure.NotFound, "audit case %q not found", CaseName(id)).WithResource(CaseName(id))
}

// CreateCase opens a case: against a standard, with the standard's department
// responsible unless another is given; the caller audits it unless an auditor is given.
func (s *Service) CreateCase(ctx context.Context, c *Case) (*Case, error) {
	if !slices.Contains(Sources, c.Source) {
		return nil, invalid("audit.source", "must be one of %v", Sources)
	}
	if !slices.Contains(Severities, c.Severity) {
		return nil, invalid("audit.severity", "must be one of %v", Severities)
	}
	err := s.store.WithAuditTx(ctx, func(tx Tx) error {
		return s.open(ctx, tx, c, nil)
	})
	return c, err
}

// open inserts c (validated kinds) with its OPENED event, in tx.
func (s *Service) open(ctx context.Context, tx Tx, c *Case, extra []Event) error {
	if ok, err := tx.AuditAccountExists(ctx, c.Account); err != nil {
		return err
	} else if !ok {
		return failure.Newf(failure.NotFound, "account %q not found", account.AccountName(c.Account)).WithResource(account.AccountName(c.Account))
	}
	std, err := tx.GetAuditStandard(ctx, c.Standard)
	if errors.Is(err, ErrNotFound) {
		return invalid("audit.standard", "standard %q does not exist", StandardName(c.Standard))
	} else if err != nil {
		return err
	}
	if c.Department == "" {
		c.Department = std.Department
	}
	if _, err := tx.GetAuditDepartment(ctx, c.Department); errors.Is(err, ErrNotFound) {
		return invalid("audit.department", "department %q does not exist", DepartmentName(c.Department))
	} else if err != nil {
		return err
	}
	if c.Auditor == "" {
		c.Auditor = auth.CallerFrom(ctx).Actor()
	}
	now := s.clock()
	c.ID, c.State, c.OpenTime, c.UpdateTime, c.Revision = newID(), Open, now, now, 1
	c.Paused, c.Reopens, c.Actions, c.Dispatches = false, 0, nil, nil
	if err := tx.InsertAuditCase(ctx, c); err != nil {
		return err
	}
	ev := []Event{{Kind: EvOpened, Detail: map[string]string{"severity": c.Severity, "green_channel": strconv.FormatBool(c.GreenChannel),
		"source": c.Source, "source_ref": c.SourceRef, "standard": c.Standard, "department": c.Department}}}
	if err := s.commit(ctx, tx, c, append(ev, extra...), now); err != nil {
		return err
	}
	return tx.RecordActivity(ctx, activity.New(ctx, now, CaseName(c.ID), "create", c.Account, nil))
}

// commit appends events (stamped now, by the caller) to c's timeline, re-derives the
// deadline from the whole log (recording a change of it as an event) and saves c. now is
// the moment the operation read once, so the case's own times (opening, resolve) and
// its events' agree to the microsecond.
func (s *Service) commit(ctx context.Context, tx Tx, c *Case, es []Event, now time.Time) error {
	actor := auth.CallerFrom(ctx).Actor()
	for i := range es {
		es[i].ID, es[i].Case, es[i].Time, es[i].Actor = newID(), c.ID, now, cmpStr(es[i].Actor, actor)
	}
	past, err := tx.AuditEvents(ctx, c.ID)
	if err != nil {
		return err
	}
	due, t, err := s.derive(ctx, tx, c, append(past, es...))
	if err != nil {
		return err
	}
	c.Paused = t.Paused
	if !sameTime(due, c.Due) && c.State != Closed {
		detail := map[string]string{"to": fmtTime(due), "from": fmtTime(c.Due)}
		es = append(es, Event{ID: newID(), Case: c.ID, Kind: EvDeadline, Time: now, Actor: "system", Detail: detail})
		c.Due = due
	}
	c.UpdateTime = now
	if err := tx.AppendAuditEvents(ctx, es); err != nil {
		return err
	}
	return tx.UpdateAuditCase(ctx, c)
}

// derive re-derives a case's deadline from its whole event log and the current
// standard, calendars and policy.
func (s *Service) derive(ctx context.Context, r Reader, c *Case, events []Event) (*time.Time, Timing, error) {
	t := ReadTiming(events)
	std, err := r.GetAuditStandard(ctx, c.Standard)
	if err != nil {
		return nil, t, fmt.Errorf("standard %s of %s: %w", c.Standard, CaseName(c.ID), err)
	}
	pol, err := s.policy(ctx, r)
	if err != nil {
		return nil, t, err
	}
	due, err := Due(t, Target(std, t.Severity, t.Green, *pol), calendars(ctx, r), c.Department)
	return due, t, err
}

// calendars returns the departments' calendars read through r, each read once; a
// department that does not exist (none is ever deleted) works 24×7.
func calendars(ctx context.Context, r Reader) Calendars {
	cache := map[string]*Calendar{}
	return func(id string) (*Calendar, error) {
		if c, ok := cache[id]; ok {
			return c, nil
		}
		d, err := r.GetAuditDepartment(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound):
			cache[id] = &Calendar{}
		case err != nil:
			return nil, err
		default:
			cache[id] = &d.Calendar
		}
		return cache[id], nil
	}
}

// rederive re-derives, after a configuration change made in tx, the deadlines of the
// cases among ids that are neither resolved nor closed, and saves those that changed
// with a DEADLINE_CHANGED event by the caller saying why. It locks the cases in id
// order, so two configuration changes never deadlock.
func (s *Service) rederive(ctx context.Context, tx Tx, ids []uuid.UUID, why string) error {
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	now, actor := s.clock(), auth.CallerFrom(ctx).Actor()
	for _, id := range ids {
		c, err := tx.LockAuditCase(ctx, id)
		if err != nil {
			return err
		}
		if c.State != Open && c.State != Investigating {
			continue
		}
		past, err := tx.AuditEvents(ctx, id)
		if err != nil {
			return err
		}
		due, _, err := s.derive(ctx, tx, c, past)
		if err != nil {
			return err
		}
		if sameTime(due, c.Due) {
			continue
		}
		ev := Event{ID: newID(), Case: id, Kind: EvDeadline, Time: now, Actor: actor,
			Detail: map[string]string{"from": fmtTime(c.Due), "to": fmtTime(due), "reason": why}}
		c.Due, c.UpdateTime, c.Revision = due, now, c.Revision+1
		if err := tx.AppendAuditEvents(ctx, []Event{ev}); err != nil {
			return err
		}
		if err := tx.UpdateAuditCase(ctx, c); err != nil {
			return err
		}
		if err := tx.RecordActivity(ctx, activity.New(ctx, now, CaseName(id), "rederive", c.Account, []string{"due_time"})); err != nil {
			return err
		}
	}
	return nil
}

func cmpStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func sameCalendar(a, b Calendar) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func sameTime(a, b *time.Time) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && a.Equal(*b))
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// GetCase returns a case.
func (s *Service) GetCase(ctx context.Context, id uuid.UUID) (*Case, error) {
	c, err := s.store.GetAuditCase(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, caseNotFound(id)
	}
	return c, err
}

// ListCases lists cases, newest first.
func (s *Service) ListCases(ctx context.Context, f CaseFilter, size int32, token string) (*listing.Page[*Case], error) {
	// Page tokens are bound to the filter's values (not to the overdue moment, which
	// moves between pages).
	scope := []string{f.State, f.Department, f.Standard, f.Source, f.Severity, f.Auditor, strconv.FormatBool(f.OverdueAt != nil)}
	if f.Account != nil {
		scope = append(scope, f.Account.String())
	}
	if f.GreenChannel != nil {
		scope = append(scope, "green="+strconv.FormatBool(*f.GreenChannel))
	}
	return listing.Plain(ctx, "audits", strings.Join(scope, "\x00"), size, token, func(ctx context.Context, n int, after *page.Cursor) ([]*Case, *page.Cursor, error) {
		return s.store.ListAuditCases(ctx, f, n, after)
	})
}

// Timeline returns a case's events, oldest first.
func (s *Service) Timeline(ctx context.Context, id uuid.UUID) ([]Event, error) {
	if _, err := s.GetCase(ctx, id); err != nil {
		return nil, err
	}
	return s.store.AuditEvents(ctx, id)
}

// TimelinePage returns a page of a case's events, oldest first; tokens are bound to
// the case.
func (s *Service) TimelinePage(ctx context.Context, id uuid.UUID, size int32, token string) (*listing.Page[Event], error) {
	if _, err := s.GetCase(ctx, id); err != nil {
		return nil, err
	}
	return listing.Plain(ctx, "auditEvents", id.String(), size, token, func(ctx context.Context, n int, after *page.Cursor) ([]Event, *page.Cursor, error) {
		return s.store.ListAuditEvents(ctx, id, n, after)
	})
}

// Now returns the service's clock, for callers that list overdue cases.
func (s *Service) Now() time.Time { return s.clock() }
