package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/failure"
)

// Operations on a case.
const (
	OpInvestigate    = "investigate"
	OpPause          = "pause"
	OpResume         = "resume"
	OpResolve        = "resolve"
	OpClose          = "close"
	OpReopen         = "reopen"
	OpGreenChannel   = "setGreenChannel"
	OpSeverity       = "changeSeverity"
	OpDispatch       = "dispatch"
	OpReassign       = "reassign"
	OpAccountability = "setAccountability"
	OpNote           = "addNote"
)

// Operations lists every operation, for the state table.
var Operations = []string{OpInvestigate, OpPause, OpResume, OpResolve, OpClose, OpReopen, OpGreenChannel, OpSeverity, OpDispatch, OpReassign, OpAccountability, OpNote}

// allowedIn is the states each operation may start from (pause and resume also need
// the clock running or stopped).
var allowedIn = map[string][]string{
	OpInvestigate:    {Open},
	OpPause:          {Open, Investigating},
	OpResume:         {Open, Investigating},
	OpResolve:        {Investigating},
	OpClose:          {Resolved},
	OpReopen:         {Resolved, Closed},
	OpGreenChannel:   {Open, Investigating},
	OpSeverity:       {Open, Investigating},
	OpDispatch:       {Open, Investigating},
	OpReassign:       {Open, Investigating},
	OpAccountability: {Investigating, Resolved},
	OpNote:           {Open, Investigating, Resolved, Closed},
}

// auditorOnly are the auditor's privileges: green channel, resource dispatch (pulling
// a department in, or handing it the case) and follow-to-the-end accountability, for
// the case's auditor (or an admin).
var auditorOnly = []string{OpGreenChannel, OpDispatch, OpReassign, OpAccountability}

// Act is an operation on a case with its inputs.
type Act struct {
	Op       string
	Revision int64 // 0: any
	Comment  string
	// changeSeverity
	Severity string
	// setGreenChannel
	Green bool
	// dispatch
	Dispatch Dispatch
	// reassign (Comment is the reason): the new responsible department and/or person
	Department, Person string
	// setAccountability
	RootCause, RootCauseText, AccountableDepartment, AccountablePerson string
	Actions                                                            []Action
}

// Acted is what an operation did: the case, and for a reopen past the grace window the
// new case it opened (linked to the old one).
type Acted struct {
	Case    *Case
	NewCase *Case
}

// Do applies an operation to a case. Moves the state table does not allow are
// FAILED_PRECONDITION and write nothing; a stale revision is ABORTED.
func (s *Service) Do(ctx context.Context, id uuid.UUID, a Act) (*Acted, error) {
	out := &Acted{}
	err := s.store.WithAuditTx(ctx, func(tx Tx) error {
		c, err := tx.LockAuditCase(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return caseNotFound(id)
		}
		if err != nil {
			return err
		}
		if a.Revision != 0 && a.Revision != c.Revision {
			return failure.Newf(failure.Aborted, "audit case %q changed since it was read", CaseName(id)).WithReason("ETAG_MISMATCH")
		}
		if slices.Contains(auditorOnly, a.Op) {
			if caller := auth.CallerFrom(ctx); caller.Role != auth.Admin && caller.Actor() != c.Auditor {
				return failure.Newf(failure.PermissionDenied, "only the case's auditor (%s) or an admin may %s", c.Auditor, a.Op).WithReason("NOT_THE_AUDITOR")
			}
		}
		if !slices.Contains(allowedIn[a.Op], c.State) {
			return failure.Newf(failure.FailedPrecondition, "audit case %q is %s: it cannot %s", CaseName(id), c.State, a.Op).WithReason("AUDIT_STATE")
		}
		pol, err := s.policy(ctx, tx)
		if err != nil {
			return err
		}
		now := s.clock()
		var es []Event
		note := func(kind string, d map[string]string) {
			if a.Comment != "" {
				d["comment"] = a.Comment
			}
			es = append(es, Event{Kind: kind, Detail: d})
		}
		state := func(to string) {
			note(EvState, map[string]string{"from": c.State, "to": to})
			c.State = to
		}
		switch a.Op {
		case OpInvestigate:
			state(Investigating)
		case OpPause:
			if c.Paused {
				return failure.Newf(failure.FailedPrecondition, "audit case %q is already waiting on the customer", CaseName(id)).WithReason("AUDIT_PAUSED")
			}
			note(EvPaused, map[string]string{})
		case OpResume:
			if !c.Paused {
				return failure.Newf(failure.FailedPrecondition, "audit case %q is not waiting on the customer", CaseName(id)).WithReason("AUDIT_NOT_PAUSED")
			}
			note(EvResumed, map[string]string{})
		case OpResolve:
			if c.Paused {
				note(EvResumed, map[string]string{}) // resolving ends the wait
			}
			c.Resolution, c.ResolveTime = a.Comment, &now
			state(Resolved)
		case OpClose:
			if missing := closeCheck(c, pol); len(missing) > 0 {
				return failure.Newf(failure.FailedPrecondition, "audit case %q cannot close: %s", CaseName(id), strings.Join(missing, "; ")).WithReason("ACCOUNTABILITY_MISSING")
			}
			c.CloseTime = &now
			state(Closed)
		case OpReopen:
			if c.ResolveTime != nil && now.Sub(*c.ResolveTime) <= time.Duration(pol.ReopenGraceDays)*24*time.Hour {
				c.Reopens++
				c.CloseTime = nil
				note(EvState, map[string]string{"from": c.State, "to": Investigating, "reopen": strconv.Itoa(c.Reopens)})
				c.State = Investigating
				c.ResolveTime = nil
				break
			}
			// Past the grace window: a new case, linked; this one stays as it was. Once.
			if next, err := tx.AuditSuccessor(ctx, c.ID); err != nil {
				return err
			} else if next != nil {
				return failure.Newf(failure.FailedPrecondition, "audit case %q was already continued by %q", CaseName(id), CaseName(*next)).
					WithReason("AUDIT_CONTINUED").WithResource(CaseName(*next))
			}
			nc := &Case{Account: c.Account, Source: c.Source, SourceRef: CaseName(c.ID), Severity: c.Severity, Standard: c.Standard,
				Description: c.Description, Department: c.Department, Person: c.Person, Auditor: c.Auditor, GreenChannel: c.GreenChannel, LinkedCase: &c.ID}
			if err := s.open(ctx, tx, nc, []Event{{Kind: EvNote, Detail: map[string]string{"comment": "reopened after the grace window: continues " + CaseName(c.ID)}}}); err != nil {
				return err
			}
			out.NewCase = nc
			note(EvNote, map[string]string{"comment": cmpStr(a.Comment, "reopen requested after the grace window"), "new_case": CaseName(nc.ID)})
		case OpGreenChannel:
			if c.GreenChannel == a.Green {
				return failure.Newf(failure.FailedPrecondition, "audit case %q green channel is already %v", CaseName(id), a.Green).WithReason("AUDIT_UNCHANGED")
			}
			c.GreenChannel = a.Green
			note(EvGreenChannel, map[string]string{"on": strconv.FormatBool(a.Green)})
		case OpSeverity:
			if !slices.Contains(Severities, a.Severity) {
				return invalid("severity", "must be one of %v", Severities)
			}
			if a.Severity == c.Severity {
				return failure.Newf(failure.FailedPrecondition, "audit case %q is already %s", CaseName(id), a.Severity).WithReason("AUDIT_UNCHANGED")
			}
			note(EvSeverity, map[string]string{"from": c.Severity, "to": a.Severity})
			c.Severity = a.Severity
		case OpDispatch:
			d := a.Dispatch
			if _, err := tx.GetAuditDepartment(ctx, d.Department); errors.Is(err, ErrNotFound) {
				return invalid("dispatch.department", "department %q does not exist", DepartmentName(d.Department))
			} else if err != nil {
				return err
			}
			if strings.TrimSpace(d.Task) == "" || !d.Due.After(now) {
				return invalid("dispatch", "a dispatch needs a task and a due time in the future")
			}
			d.Time = now
			c.Dispatches = append(c.Dispatches, d)
			note(EvDispatched, map[string]string{"department": d.Department, "person": d.Person, "task": d.Task, "due": d.Due.UTC().Format(time.RFC3339)})
		case OpReassign:
			if strings.TrimSpace(a.Comment) == "" {
				return invalid("reason", "a reassignment needs a reason")
			}
			dept, person := c.Department, c.Person
			if a.Department != "" && a.Department != c.Department {
				if _, err := tx.GetAuditDepartment(ctx, a.Department); errors.Is(err, ErrNotFound) {
					return invalid("department", "department %q does not exist", DepartmentName(a.Department))
				} else if err != nil {
					return err
				}
				dept, person = a.Department, "" // the old department's person is not the new one's
			}
			if a.Person != "" {
				person = a.Person
			}
			if dept == c.Department && person == c.Person {
				return failure.Newf(failure.FailedPrecondition, "audit case %q is already with %s %s", CaseName(id), DepartmentName(dept), person).WithReason("AUDIT_UNCHANGED")
			}
			// The new department owns the case from now: commit re-derives the deadline
			// with the target's time left counted on its calendar.
			es = append(es, Event{Kind: EvReassigned, Detail: map[string]string{"from_department": c.Department, "to_department": dept,
				"from_person": c.Person, "to_person": person, "reason": strings.TrimSpace(a.Comment)}})
			c.Department, c.Person = dept, person
		case OpAccountability:
			if a.RootCause != "" && !slices.Contains(pol.RootCauses, a.RootCause) {
				return invalid("root_cause", "must be one of %v", pol.RootCauses)
			}
			if a.AccountableDepartment != "" {
				if _, err := tx.GetAuditDepartment(ctx, a.AccountableDepartment); errors.Is(err, ErrNotFound) {
					return invalid("accountable_department", "department %q does not exist", DepartmentName(a.AccountableDepartment))
				} else if err != nil {
					return err
				}
			}
			c.RootCause, c.RootCauseText = a.RootCause, strings.TrimSpace(a.RootCauseText)
			c.AccountableDepartment, c.AccountablePerson, c.Actions = a.AccountableDepartment, a.AccountablePerson, a.Actions
			note(EvAccountability, map[string]string{"root_cause": c.RootCause, "accountable_department": c.AccountableDepartment,
				"accountable_person": c.AccountablePerson, "actions": strconv.Itoa(len(c.Actions))})
		case OpNote:
			if strings.TrimSpace(a.Comment) == "" {
				return invalid("comment", "a note needs text")
			}
			note(EvNote, map[string]string{})
		default:
			return invalid("operation", "unknown operation %q", a.Op)
		}
		c.Revision++
		if err := s.commit(ctx, tx, c, es, now); err != nil {
			return err
		}
		out.Case = c
		return tx.RecordActivity(ctx, activity.New(ctx, now, CaseName(c.ID), a.Op, c.Account, nil))
	})
	return out, err
}

// closeCheck lists what a close still needs: a root cause from the taxonomy with its
// text, the accountable department, and, from the policy's severity up, corrective
// actions with owners and due dates. Every path that closes a case goes through it.
func closeCheck(c *Case, pol *Policy) []string {
	var missing []string
	if !slices.Contains(pol.RootCauses, c.RootCause) {
		missing = append(missing, fmt.Sprintf("a root cause (one of %v)", pol.RootCauses))
	}
	if strings.TrimSpace(c.RootCauseText) == "" {
		missing = append(missing, "the root cause's description")
	}
	if c.AccountableDepartment == "" {
		missing = append(missing, "the accountable department")
	}
	if pol.PersonFrom != "" && slices.Index(Severities, c.Severity) >= slices.Index(Severities, pol.PersonFrom) && strings.TrimSpace(c.AccountablePerson) == "" {
		missing = append(missing, fmt.Sprintf("the accountable person (a %s case needs one)", c.Severity))
	}
	if slices.Index(Severities, c.Severity) >= slices.Index(Severities, pol.ActionsFrom) {
		if len(c.Actions) == 0 {
			missing = append(missing, fmt.Sprintf("corrective actions (a %s case needs at least one)", c.Severity))
		}
		for i, a := range c.Actions {
			if strings.TrimSpace(a.Description) == "" || strings.TrimSpace(a.Owner) == "" || a.Due.IsZero() {
				missing = append(missing, fmt.Sprintf("corrective action %d needs a description, an owner and a due date", i+1))
			}
		}
	}
	return missing
}

func (s *Service) policy(ctx context.Context, r Reader) (*Policy, error) {
	p, err := r.GetAuditPolicy(ctx)
	if errors.Is(err, ErrNotFound) {
		d := DefaultPolicy()
		return &d, nil
	}
	return p, err
}

// Warn opens an audit case for an early warning (a survey detractor or a complaint) of
// an account, or, when the account has a case from the same source opened within the
// policy's window that is not closed, attaches the warning to it: never a second case.
// ref names the record that raised it. It returns the case and whether it is new.
func (s *Service) Warn(ctx context.Context, acc uuid.UUID, source, ref, description string) (c *Case, created bool, err error) {
	err = s.store.WithAuditTx(ctx, func(tx Tx) error {
		c, created, err = s.WarnTx(ctx, tx, acc, source, ref, description)
		return err
	})
	return c, created, err
}

// lockWarningCase finds the open case a warning joins and locks its row, so the warning
// and a person's operation on the case take turns instead of one overwriting the
// other. A case that moved on (resolved) between the lookup and the lock is not joined:
// the lookup runs again, and after a few misses the warning opens a case of its own.
func lockWarningCase(ctx context.Context, tx Tx, acc uuid.UUID, source string, since time.Time) (*Case, error) {
	for range 3 {
		c, err := tx.OpenWarningAuditCase(ctx, acc, source, since)
		if err != nil {
			return nil, err
		}
		if c, err = tx.LockAuditCase(ctx, c.ID); err != nil {
			return nil, err
		}
		if c.State == Open || c.State == Investigating {
			return c, nil
		}
	}
	return nil, ErrNotFound
}

// WarnTx is Warn in the caller's transaction, so a warning and the record that raised
// it commit together.
func (s *Service) WarnTx(ctx context.Context, tx Tx, acc uuid.UUID, source, ref, description string) (*Case, bool, error) {
	var out *Case
	created := false
	err := func() error {
		pol, err := s.policy(ctx, tx)
		if err != nil {
			return err
		}
		now := s.clock()
		open, err := lockWarningCase(ctx, tx, acc, source, now.AddDate(0, 0, -pol.WarningWindowDays))
		if err == nil {
			past, err := tx.AuditEvents(ctx, open.ID)
			if err != nil {
				return err
			}
			for _, e := range past {
				if e.Kind == EvWarningAttached && e.Detail["ref"] == ref || e.Kind == EvOpened && e.Detail["source_ref"] == ref {
					out = open
					return nil // this warning is there already (a resend)
				}
			}
			open.Revision++
			if err := s.commit(ctx, tx, open, []Event{{Kind: EvWarningAttached, Actor: "system", Detail: map[string]string{"ref": ref, "comment": description}}}, now); err != nil {
				return err
			}
			out = open
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		sev := pol.DetractorSeverity
		if source == "COMPLAINT" {
			sev = pol.ComplaintSeverity
		}
		c := &Case{Account: acc, Source: source, SourceRef: ref, Severity: sev, Standard: pol.WarningStandard, Description: description, Auditor: "system"}
		if err := s.open(ctx, tx, c, nil); err != nil {
			return err
		}
		out, created = c, true
		return nil
	}()
	return out, created, err
}
