package cases

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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
	ErrNotFound  = account.ErrNotFound
	ErrStale     = account.ErrStale
	ErrUnique    = account.ErrUnique
	ErrBadCursor = listing.ErrBadCursor
)

// Options tune the service.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Service implements best-practice cases.
type Service struct {
	store Store
	opts  Options
}

// NewService returns a Service over store.
func NewService(store Store, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{store: store, opts: opts}
}

func (s *Service) clock() time.Time { return s.opts.Now().UTC().Truncate(time.Microsecond) }

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

func caseNotFound(id uuid.UUID) error {
	return failure.Newf(failure.NotFound, "case %q not found", CaseName(id)).WithResource(CaseName(id))
}

// Operations of the workflow, for Allowed and the history.
const (
	OpUpdate  = ActionUpdate
	OpSubmit  = ActionSubmit
	OpApprove = ActionApprove
	OpReject  = ActionReject
	OpArchive = ActionArchive
)

// moves is the workflow: for each operation, the states it may start from and the
// state it leads to. Editing a published case starts a new version in DRAFT.
var moves = map[string]map[string]string{
	OpUpdate:  {Draft: Draft, Published: Draft},
	OpSubmit:  {Draft: InReview},
	OpApprove: {InReview: Published},
	OpReject:  {InReview: Draft},
	OpArchive: {Draft: Archived, InReview: Archived, Published: Archived},
}

// Ops lists the workflow's operations.
var Ops = []string{OpUpdate, OpSubmit, OpApprove, OpReject, OpArchive}

// Allowed reports whether op may start from state, and the state it leads to.
func Allowed(op, state string) (string, bool) {
	to, ok := moves[op][state]
	return to, ok
}

func stateError(c *Case, op string) error {
	var from []string
	for _, st := range States {
		if _, ok := moves[op][st]; ok {
			from = append(from, st)
		}
	}
	return failure.Newf(failure.FailedPrecondition, "case %q is %s: %s is allowed only from %s",
		c.Name(), c.State, strings.ToLower(op), strings.Join(from, ", ")).WithReason("CASE_STATE").WithResource(c.Name())
}

// reader is what a caller may read: viewers and partners only live published cases
// (partners only those acknowledged for sales references or public use).
func reader(ctx context.Context) (publishedOnly bool, scopes []string) {
	switch auth.CallerFrom(ctx).Role {
	case auth.Viewer:
		return true, nil
	case auth.Partner:
		return true, []string{ScopeSalesReference, ScopePublic}
	}
	return false, nil
}

func (s *Service) view(ctx context.Context, asked string) (string, []string, error) {
	only, scopes := reader(ctx)
	switch {
	case only && asked == ViewLatest:
		return "", nil, failure.Newf(failure.PermissionDenied, "viewers and partners see only published cases: ask for view PUBLISHED").WithReason("PUBLISHED_ONLY")
	case only, asked == ViewPublished:
		return ViewPublished, scopes, nil
	}
	return ViewLatest, nil, nil
}

// GetCase returns a case as view shows it ("" for the caller's default).
func (s *Service) GetCase(ctx context.Context, id uuid.UUID, view string) (*Case, error) {
	v, scopes, err := s.view(ctx, view)
	if err != nil {
		return nil, err
	}
	c, err := s.store.GetCase(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, caseNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	c.View = v
	s.finish(c)
	if v == ViewPublished {
		if !c.Live(s.clock()) || (scopes != nil && !slices.Contains(scopes, c.Published.Ack.Scope)) {
			return nil, failure.Newf(failure.NotFound, "case %q has no published version", c.Name()).WithResource(c.Name())
		}
	}
	return c, nil
}

// finish computes what a read shows beside the stored case.
func (s *Service) finish(c *Case) {
	now := s.clock()
	shown, _ := c.Shown()
	c.Checks = Checklist(&shown.Content, now)
	c.IsLive = c.Live(now)
	c.AckInForce = shown.Ack.InForce(now)
}

// ListRequest is a ListCases call.
type ListRequest struct {
	PageSize        int32
	PageToken       string
	Query           string
	Industry        string
	ProblemCategory string
	Product         string
	Tag             string
	Account         *uuid.UUID
	State           string
	View            string
}

// ListCases lists and searches cases.
func (s *Service) ListCases(ctx context.Context, r ListRequest) (*listing.Page[*Case], error) {
	v, scopes, err := s.view(ctx, r.View)
	if err != nil {
		return nil, err
	}
	f := Filter{View: v, Industry: r.Industry, ProblemCategory: r.ProblemCategory, Product: r.Product, Tag: r.Tag,
		Account: r.Account, Scopes: scopes, Now: s.clock()}
	if v == ViewLatest {
		f.State = r.State
	} else if r.State != "" && r.State != Published {
		return nil, failure.InvalidFields([]failure.Violation{{Field: "state", Description: "the published view holds only PUBLISHED cases"}})
	}
	if strings.TrimSpace(r.Query) != "" {
		if f.Query = ParseQuery(r.Query); len(f.Query) == 0 {
			return nil, failure.InvalidFields([]failure.Violation{{Field: "query", Description: "must contain letters or digits"}})
		}
	}
	acc := ""
	if r.Account != nil {
		acc = r.Account.String()
	}
	fp := page.Fingerprint("cases", v, strings.Join(scopes, ","), r.Query, r.Industry, r.ProblemCategory, r.Product, r.Tag, acc, f.State)
	after, ok, err := page.Decode(r.PageToken, fp)
	if err != nil {
		return nil, failure.InvalidFields([]failure.Violation{{Field: "page_token", Description: err.Error()}})
	}
	var ap *page.Cursor
	if ok {
		ap = &after
	}
	items, next, err := s.store.ListCases(ctx, f, page.Size(r.PageSize), ap)
	for _, c := range items {
		c.View = v
		s.finish(c)
	}
	return listing.Finish(items, next, fp, err)
}

// ListEvents lists a case's history, oldest first.
func (s *Service) ListEvents(ctx context.Context, id uuid.UUID, size int32, token string) (*listing.Page[*Event], error) {
	if _, err := s.store.GetCase(ctx, id); errors.Is(err, ErrNotFound) {
		return nil, caseNotFound(id)
	} else if err != nil {
		return nil, err
	}
	return listing.Plain(ctx, "case_events", id.String(), size, token, func(ctx context.Context, n int, after *page.Cursor) ([]*Event, *page.Cursor, error) {
		return s.store.ListCaseEvents(ctx, id, n, after)
	})
}

// Fields a case's update mask may name.
var mutable = []string{"title", "account", "industry", "problem_category", "scenario", "problem", "solution",
	"products", "results", "acknowledgement", "tags"}

// apply copies the masked fields of patch onto c.
func apply(c *Content, patch *Content, mask []string) {
	for _, f := range mask {
		switch f {
		case "title":
			c.Title = patch.Title
		case "account":
			c.Account = patch.Account
		case "industry":
			c.Industry = patch.Industry
		case "problem_category":
			c.ProblemCategory = patch.ProblemCategory
		case "scenario":
			c.Scenario = patch.Scenario
		case "problem":
			c.Problem = patch.Problem
		case "solution":
			c.Solution = patch.Solution
		case "products":
			c.Products = slices.Clone(patch.Products)
		case "results":
			c.Results = slices.Clone(patch.Results)
		case "acknowledgement":
			c.Ack = nil
			if patch.Ack != nil {
				a := *patch.Ack
				a.RevokeTime, a.RevokedBy, a.RevokeReason = nil, "", ""
				c.Ack = &a
			}
		case "tags":
			c.Tags = slices.Clone(patch.Tags)
		}
	}
}

// ackClockSkew is how far in the future an acknowledge_time may lie: the client's clock
// may run a little ahead of the server's, but a customer cannot acknowledge a case later
// than now.
const ackClockSkew = time.Minute

// validate checks content on save: required fields, list values, the account and the
// acknowledging contact. ackGiven says the request sets the acknowledgement (a create,
// or an update naming it): its contact must then exist and its time not lie in the
// future. An acknowledgement carried over unchanged is not judged again (against a
// later clock, or a contact deleted since: the checklist says so instead).
func (s *Service) validate(ctx context.Context, tx Tx, c *Content, now time.Time, ackGiven bool) error {
	var vs []failure.Violation
	bad := func(f, d string) { vs = append(vs, failure.Violation{Field: "case." + f, Description: d}) }
	if strings.TrimSpace(c.Title) == "" {
		bad("title", "required")
	}
	if c.Account == uuid.Nil {
		bad("account", "required")
	}
	check := func(kind, field string, keys []string) error {
		var ks []string
		for _, k := range keys {
			if k != "" {
				ks = append(ks, k)
			}
		}
		if len(ks) == 0 {
			return nil
		}
		missing, err := tx.MissingTerms(ctx, kind, ks)
		if err != nil {
			return err
		}
		for _, m := range missing {
			bad(field, fmt.Sprintf("%q is not in the list of %s (an admin adds it)", TermName(kind, m), Collections[kind]))
		}
		return nil
	}
	if err := check(KindIndustry, "industry", []string{c.Industry}); err != nil {
		return err
	}
	if err := check(KindProblemCategory, "problem_category", []string{c.ProblemCategory}); err != nil {
		return err
	}
	if err := check(KindProduct, "products", c.Products); err != nil {
		return err
	}
	if a := c.Ack; a != nil && a.Contact != uuid.Nil && c.Account != uuid.Nil {
		cn := account.ContactName(a.Account, a.Contact)
		if a.Account != c.Account {
			bad("acknowledgement.contact", fmt.Sprintf("%q is not a contact of the case's account %q", cn, account.AccountName(c.Account)))
		} else if !ackGiven {
			// Carried over unchanged: a contact deleted since does not block other
			// edits; the checklist reports it (Acknowledgement.ContactGone).
		} else if acc, err := tx.ContactAccount(ctx, a.Contact); errors.Is(err, ErrNotFound) || (err == nil && acc != c.Account) {
			bad("acknowledgement.contact", fmt.Sprintf("contact %q does not exist", cn))
		} else if err != nil {
			return err
		}
	}
	if a := c.Ack; a != nil && a.ExpireTime != nil && !a.Time.IsZero() && !a.ExpireTime.After(a.Time) {
		bad("acknowledgement.expire_time", "must be after acknowledge_time")
	}
	if a := c.Ack; ackGiven && a != nil && a.Time.After(now.Add(ackClockSkew)) {
		bad("acknowledgement.acknowledge_time", fmt.Sprintf("%s is in the future (the server's time is %s): give the time the customer acknowledged the case",
			a.Time.Format(time.RFC3339), now.Format(time.RFC3339)))
	}
	if len(vs) > 0 {
		return failure.InvalidFields(vs)
	}
	if c.Account != uuid.Nil {
		ok, err := tx.AccountExists(ctx, c.Account)
		if err != nil {
			return err
		}
		if !ok {
			return failure.Newf(failure.NotFound, "account %q not found", account.AccountName(c.Account)).WithResource(account.AccountName(c.Account))
		}
	}
	return nil
}

func normalize(c *Content) {
	// Blank text is no text: the checklist must not count "  " as a stated problem.
	for _, f := range []*string{&c.Title, &c.Scenario, &c.Problem, &c.Solution} {
		*f = strings.TrimSpace(*f)
	}
	for i := range c.Results {
		r := &c.Results[i]
		for _, f := range []*string{&r.Metric, &r.Unit, &r.Period, &r.Method} {
			*f = strings.TrimSpace(*f)
		}
	}
	c.Products = dedupe(c.Products)
	c.Tags = dedupe(c.Tags)
	if a := c.Ack; a != nil {
		a.Time = a.Time.UTC().Truncate(time.Microsecond)
		if a.ExpireTime != nil {
			t := a.ExpireTime.UTC().Truncate(time.Microsecond)
			a.ExpireTime = &t
		}
	}
}

func dedupe(xs []string) []string {
	var out []string
	for _, x := range xs {
		if x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// CreateCase creates a case in DRAFT, authored by the caller. requestID, when set,
// makes a retry return the first call's case.
func (s *Service) CreateCase(ctx context.Context, content Content, requestID string) (*Case, error) {
	scope := "case"
	if requestID != "" {
		if id, err := s.store.LookupRequest(ctx, scope, requestID); err == nil {
			return s.GetCase(ctx, id, ViewLatest)
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	normalize(&content)
	now := s.clock()
	by := auth.CallerFrom(ctx).Actor()
	id := newID()
	err := s.store.WithCaseTx(ctx, func(tx Tx) error {
		if err := s.validate(ctx, tx, &content, now, content.Ack != nil); err != nil {
			return err
		}
		v := &Version{ID: newID(), Case: id, Number: 1, CreateTime: now, UpdateTime: now, Editor: by, Content: content}
		c := &Case{ID: id, CreateTime: now, UpdateTime: now, Revision: 1, State: Draft, Author: by, Working: v, VersionCount: 1}
		if err := tx.InsertCase(ctx, c); err != nil {
			return err
		}
		if err := tx.InsertVersion(ctx, v); err != nil {
			return err
		}
		if requestID != "" {
			if err := tx.InsertRequest(ctx, scope, requestID, id, now); err != nil {
				return err
			}
		}
		if err := tx.InsertCaseEvent(ctx, &Event{ID: newID(), Case: id, Time: now, Actor: by, Action: ActionCreate, To: Draft, Version: 1}); err != nil {
			return err
		}
		return tx.RecordActivity(ctx, activity.New(ctx, now, CaseName(id), "create", uuid.Nil, nil))
	})
	if errors.Is(err, ErrUnique) && requestID != "" {
		// a concurrent retry with the same request id won
		if first, lerr := s.store.LookupRequest(ctx, scope, requestID); lerr == nil {
			return s.GetCase(ctx, first, ViewLatest)
		}
	}
	if err != nil {
		return nil, err
	}
	return s.GetCase(ctx, id, ViewLatest)
}

// lock reads a case for a change, checking its etag.
func lock(ctx context.Context, tx Tx, id uuid.UUID, etag string) (*Case, error) {
	c, err := tx.LockCase(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, caseNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	if etag != "" && !etagMatches(etag, c.Etag()) {
		return nil, failure.Newf(failure.Aborted, "case %q changed since it was read (etag %s, now %q)", c.Name(), etag, c.Etag()).WithReason("ETAG_MISMATCH").WithResource(c.Name())
	}
	return c, nil
}

func etagMatches(given, current string) bool {
	given = strings.TrimPrefix(given, "W/")
	if len(given) >= 2 && given[0] == '"' && given[len(given)-1] == '"' {
		given = given[1 : len(given)-1]
	}
	return given == current
}

// save writes the case row and its history entry, and logs the activity.
func save(ctx context.Context, tx Tx, c *Case, prev int64, e *Event) error {
	if err := tx.UpdateCase(ctx, c, prev); err != nil {
		if errors.Is(err, ErrStale) {
			return failure.Newf(failure.Aborted, "case %q changed concurrently; read it again", c.Name()).WithReason("ETAG_MISMATCH")
		}
		return err
	}
	if err := tx.InsertCaseEvent(ctx, e); err != nil {
		return err
	}
	return tx.RecordActivity(ctx, activity.New(ctx, e.Time, c.Name(), strings.ToLower(e.Action), uuid.Nil, nil))
}

// UpdateCase edits the working version: in place for a DRAFT; a PUBLISHED case gets a
// new version in DRAFT while the published one stays live. mask names the fields to
// change (API names; others are ignored, "*" is all).
func (s *Service) UpdateCase(ctx context.Context, id uuid.UUID, patch Content, mask []string, etag string) (*Case, error) {
	var fields []string
	for _, m := range mask {
		if m == "*" {
			fields = mutable
			break
		}
		if slices.Contains(mutable, m) && !slices.Contains(fields, m) {
			fields = append(fields, m)
		}
	}
	if len(fields) == 0 {
		return nil, failure.InvalidFields([]failure.Violation{{Field: "update_mask", Description: "names no field to change"}})
	}
	normalize(&patch)
	now := s.clock()
	by := auth.CallerFrom(ctx).Actor()
	err := s.store.WithCaseTx(ctx, func(tx Tx) error {
		c, err := lock(ctx, tx, id, etag)
		if err != nil {
			return err
		}
		to, ok := Allowed(OpUpdate, c.State)
		if !ok {
			return stateError(c, OpUpdate)
		}
		content := c.Working.Content
		content.Products, content.Tags, content.Results = slices.Clone(content.Products), slices.Clone(content.Tags), slices.Clone(content.Results)
		apply(&content, &patch, fields)
		normalize(&content)
		if err := s.validate(ctx, tx, &content, now, slices.Contains(fields, "acknowledgement")); err != nil {
			return err
		}
		from, prev := c.State, c.Revision
		if c.State == Published {
			c.VersionCount++
			v := &Version{ID: newID(), Case: c.ID, Number: c.VersionCount, CreateTime: now, UpdateTime: now, Editor: by, Content: content}
			if err := tx.InsertVersion(ctx, v); err != nil {
				return err
			}
			c.Working = v
		} else {
			c.Working.Content, c.Working.Editor, c.Working.UpdateTime = content, by, now
			if err := tx.SaveVersion(ctx, c.Working); err != nil {
				return err
			}
		}
		c.State, c.UpdateTime, c.Revision = to, now, c.Revision+1
		return save(ctx, tx, c, prev, &Event{ID: newID(), Case: c.ID, Time: now, Actor: by, Action: ActionUpdate, From: from, To: to,
			Version: c.Working.Number, Comment: "changed: " + strings.Join(fields, ", ")})
	})
	if err != nil {
		return nil, err
	}
	return s.GetCase(ctx, id, ViewLatest)
}

// Transition moves a case through the workflow: OpSubmit, OpApprove, OpReject or
// OpArchive, with a comment (required to reject). A move the state does not allow is
// FAILED_PRECONDITION, as is submitting or approving a version that fails a standard;
// the author or editor approving their own case is PERMISSION_DENIED. A stale etag is
// ABORTED. A refused move writes nothing.
func (s *Service) Transition(ctx context.Context, id uuid.UUID, op, etag, comment string) (*Case, error) {
	if op == OpUpdate || moves[op] == nil {
		return nil, fmt.Errorf("cases: unknown transition %q", op)
	}
	if op == OpReject && strings.TrimSpace(comment) == "" {
		return nil, failure.InvalidFields([]failure.Violation{{Field: "comment", Description: "say what must change"}})
	}
	now := s.clock()
	by := auth.CallerFrom(ctx).Actor()
	err := s.store.WithCaseTx(ctx, func(tx Tx) error {
		c, err := lock(ctx, tx, id, etag)
		if err != nil {
			return err
		}
		to, ok := Allowed(op, c.State)
		if !ok {
			return stateError(c, op)
		}
		if op == OpApprove && (by == c.Author || by == c.Working.Editor) {
			return failure.Newf(failure.PermissionDenied, "case %q was written by %s: a reviewer other than its author and editor must approve it", c.Name(), by).
				WithReason("SELF_APPROVAL").WithResource(c.Name())
		}
		if op == OpSubmit || op == OpApprove {
			if failed := unmet(Checklist(&c.Working.Content, now)); len(failed) > 0 {
				return standardsError(c, failed)
			}
		}
		from, prev := c.State, c.Revision
		switch op {
		case OpApprove:
			c.Published, c.PublishTime, c.ReviewComment = c.Working, &now, comment
		case OpReject:
			c.ReviewComment = comment
		}
		c.State, c.UpdateTime, c.Revision = to, now, c.Revision+1
		return save(ctx, tx, c, prev, &Event{ID: newID(), Case: c.ID, Time: now, Actor: by, Action: op, From: from, To: to,
			Version: c.Working.Number, Comment: comment})
	})
	if err != nil {
		return nil, err
	}
	return s.GetCase(ctx, id, ViewLatest)
}

// RevokeAcknowledgement records that the customer withdrew its acknowledgement, on
// every version of the case that has one: the case leaves published search at once.
// FAILED_PRECONDITION when no version has an acknowledgement not yet revoked.
func (s *Service) RevokeAcknowledgement(ctx context.Context, id uuid.UUID, reason string) (*Case, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, failure.InvalidFields([]failure.Violation{{Field: "reason", Description: "required"}})
	}
	now := s.clock()
	by := auth.CallerFrom(ctx).Actor()
	err := s.store.WithCaseTx(ctx, func(tx Tx) error {
		c, err := lock(ctx, tx, id, "")
		if err != nil {
			return err
		}
		var ids []uuid.UUID
		for _, v := range []*Version{c.Working, c.Published} {
			if v != nil && v.Ack != nil && v.Ack.Contact != uuid.Nil && v.Ack.RevokeTime == nil && !slices.Contains(ids, v.ID) {
				ids = append(ids, v.ID)
			}
		}
		if len(ids) == 0 {
			return failure.Newf(failure.FailedPrecondition, "case %q has no customer acknowledgement to revoke", c.Name()).
				WithReason("NO_ACKNOWLEDGEMENT").WithResource(c.Name())
		}
		if err := tx.RevokeAcknowledgements(ctx, ids, now, by, reason); err != nil {
			return err
		}
		prev := c.Revision
		c.UpdateTime, c.Revision = now, c.Revision+1
		return save(ctx, tx, c, prev, &Event{ID: newID(), Case: c.ID, Time: now, Actor: by, Action: ActionRevoke, From: c.State, To: c.State,
			Version: c.Working.Number, Comment: reason})
	})
	if err != nil {
		return nil, err
	}
	return s.GetCase(ctx, id, ViewLatest)
}

// RecordExpiries writes a history entry (actor "system", at the expiry time) for each
// version whose acknowledgement has expired and has none yet, up to limit per call,
// and returns how many it wrote. Search needs no write (expiry is checked when
// reading); this keeps the history complete. Safe with several replicas.
func (s *Service) RecordExpiries(ctx context.Context, limit int) (int, error) {
	n := 0
	err := s.store.WithCaseTx(ctx, func(tx Tx) error {
		exp, err := tx.ExpiredAcknowledgements(ctx, s.clock(), limit)
		if err != nil {
			return err
		}
		n = 0
		for _, x := range exp {
			// The id is derived from (case, version, expiry): a sweep that read the
			// candidates before another replica committed the same entries inserts
			// nothing (the NOT EXISTS and the lock narrow the window; the key closes it).
			ok, err := tx.InsertCaseEventOnce(ctx, &Event{ID: ExpiryEventID(x.Case, x.Version, x.ExpireTime), Case: x.Case, Time: x.ExpireTime,
				Actor: auth.System.Name, Action: ActionExpire, From: x.State, To: x.State, Version: x.Version, Comment: "the customer's acknowledgement expired"})
			if err != nil {
				return err
			}
			if ok {
				n++
			}
		}
		return nil
	})
	return n, err
}

// ExpiryEventID is the id of the history entry recording that version's
// acknowledgement of case c expired at t: the same on every replica and every sweep, so
// the entry is stored once whatever races. It has UUIDv7's layout with t as its time
// (history is ordered by id, so the entry sits where the expiry happened) and a hash
// of (case, version, t) as its random part.
func ExpiryEventID(c uuid.UUID, version int, t time.Time) uuid.UUID {
	h := sha256.Sum256(fmt.Appendf(nil, "case-ack-expired/%s/%d/%d", c, version, t.UnixMicro()))
	var id uuid.UUID
	ms := uint64(t.UnixMilli())
	for i := range 6 {
		id[i] = byte(ms >> (40 - 8*i))
	}
	copy(id[6:], h[:10])
	id[6] = 0x70 | id[6]&0x0f // version 7
	id[8] = 0x80 | id[8]&0x3f // RFC 4122 variant
	return id
}

// Work records expired acknowledgements in the history every interval until ctx ends.
func (s *Service) Work(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			n, err := s.RecordExpiries(ctx, 500)
			if err != nil && ctx.Err() == nil {
				log.ErrorContext(ctx, "cases: recording expired acknowledgements", "err", err)
			}
			if err != nil || n < 500 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ---- Admin-managed lists ----

// CreateTerm adds an entry to a list. ALREADY_EXISTS when the key is taken.
func (s *Service) CreateTerm(ctx context.Context, t Term) (*Term, error) {
	if Collections[t.Kind] == "" {
		return nil, fmt.Errorf("cases: unknown list %q", t.Kind)
	}
	t.DisplayName = strings.TrimSpace(t.DisplayName)
	if t.DisplayName == "" {
		return nil, failure.InvalidFields([]failure.Violation{{Field: t.Kind + ".display_name", Description: "required"}})
	}
	t.CreateTime = s.clock()
	err := s.store.WithCaseTx(ctx, func(tx Tx) error {
		if err := tx.InsertTerm(ctx, &t); err != nil {
			if errors.Is(err, ErrUnique) {
				return failure.Newf(failure.AlreadyExists, "%q already exists", TermName(t.Kind, t.Key)).WithResource(TermName(t.Kind, t.Key))
			}
			return err
		}
		return tx.RecordActivity(ctx, activity.New(ctx, t.CreateTime, TermName(t.Kind, t.Key), "create", uuid.Nil, nil))
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// ListTerms lists a list's entries in key order.
func (s *Service) ListTerms(ctx context.Context, kind string, size int32, token string) (*listing.Page[*Term], error) {
	return listing.Plain(ctx, "case_terms", kind, size, token, func(ctx context.Context, n int, after *page.Cursor) ([]*Term, *page.Cursor, error) {
		return s.store.ListTerms(ctx, kind, n, after)
	})
}

// DeleteTerm removes an entry. Cases using it keep the value, but cannot be saved with
// it again.
func (s *Service) DeleteTerm(ctx context.Context, kind, key string) error {
	return s.store.WithCaseTx(ctx, func(tx Tx) error {
		if err := tx.DeleteTerm(ctx, kind, key); err != nil {
			if errors.Is(err, ErrNotFound) {
				return failure.Newf(failure.NotFound, "%q not found", TermName(kind, key)).WithResource(TermName(kind, key))
			}
			return err
		}
		return tx.RecordActivity(ctx, activity.New(ctx, s.clock(), TermName(kind, key), "delete", uuid.Nil, nil))
	})
}
