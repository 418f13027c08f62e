package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/ent"
	"github.com/furrowhq/furrow/ent/caseevent"
	"github.com/furrowhq/furrow/ent/caserecord"
	"github.com/furrowhq/furrow/ent/casetaxonomyterm"
	"github.com/furrowhq/furrow/ent/caseterm"
	"github.com/furrowhq/furrow/ent/caseversion"
	"github.com/furrowhq/furrow/ent/contact"
	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/cases"
	"github.com/furrowhq/furrow/internal/page"
)

// WithCaseTx runs fn in a transaction.
func (s *Store) WithCaseTx(ctx context.Context, fn func(tx cases.Tx) error) error {
	return s.withTx(ctx, func(q queries) error { return fn(&txQueries{q}) })
}

var (
	_ cases.Store = (*Store)(nil)
	_ cases.Tx    = (*txQueries)(nil)
)

// ---- conversions

// resultJSON is how a result is stored in case_versions.results.
type resultJSON struct {
	Metric      string   `json:"metric,omitempty"`
	Before      *float64 `json:"before,omitempty"`
	After       *float64 `json:"after,omitempty"`
	Unit        string   `json:"unit,omitempty"`
	Period      string   `json:"period,omitempty"`
	Method      string   `json:"method,omitempty"`
	MeasureDate string   `json:"measureDate,omitempty"` // YYYY-MM-DD
}

// CaseColumns encodes a version's products, tags and results as the store writes them
// to case_versions, for tools that load cases in bulk (bench/) and must write what the
// store reads.
func CaseColumns(products, tags []string, results []cases.Result) (string, string, string) {
	return encodeStrings(products), encodeStrings(tags), encodeResults(results)
}

func encodeResults(rs []cases.Result) string {
	out := make([]resultJSON, len(rs))
	for i, r := range rs {
		out[i] = resultJSON{Metric: r.Metric, Before: r.Before, After: r.After, Unit: r.Unit, Period: r.Period, Method: r.Method}
		if !r.MeasureDate.IsZero() {
			out[i].MeasureDate = r.MeasureDate.Format(time.DateOnly)
		}
	}
	b, _ := json.Marshal(out) // plain values always encode
	return string(b)
}

func decodeResults(s string) ([]cases.Result, error) {
	var in []resultJSON
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, fmt.Errorf("case results: %w", err)
	}
	out := make([]cases.Result, len(in))
	for i, r := range in {
		out[i] = cases.Result{Metric: r.Metric, Before: r.Before, After: r.After, Unit: r.Unit, Period: r.Period, Method: r.Method}
		if r.MeasureDate != "" {
			d, err := time.Parse(time.DateOnly, r.MeasureDate)
			if err != nil {
				return nil, fmt.Errorf("case results: %w", err)
			}
			out[i].MeasureDate = d
		}
	}
	return out, nil
}

func encodeStrings(xs []string) string {
	if xs == nil {
		xs = []string{}
	}
	b, _ := json.Marshal(xs)
	return string(b)
}

func decodeStrings(s string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("case list: %w", err)
	}
	return out, nil
}

func toVersion(r *ent.CaseVersion) (*cases.Version, error) {
	v := &cases.Version{ID: r.ID, Case: r.CaseID, Number: r.Number, CreateTime: r.CreateTime.UTC(), UpdateTime: r.UpdateTime.UTC(), Editor: r.Editor,
		Content: cases.Content{Title: r.Title, Account: r.AccountID, Industry: r.Industry, ProblemCategory: r.ProblemCategory,
			Scenario: r.Scenario, Problem: r.Problem, Solution: r.Solution}}
	var err error
	if v.Products, err = decodeStrings(r.Products); err != nil {
		return nil, err
	}
	if v.Tags, err = decodeStrings(r.Tags); err != nil {
		return nil, err
	}
	if v.Results, err = decodeResults(r.Results); err != nil {
		return nil, err
	}
	if r.AckContactID != nil {
		v.Ack = &cases.Acknowledgement{Account: r.AccountID, Contact: *r.AckContactID, Scope: r.AckScope,
			ExpireTime: utcPtr(r.AckExpireTime), RevokeTime: utcPtr(r.AckRevokeTime), RevokedBy: r.AckRevokedBy, RevokeReason: r.AckRevokeReason}
		if r.AckTime != nil {
			v.Ack.Time = r.AckTime.UTC()
		}
	}
	return v, nil
}

func toCase(r *ent.CaseRecord, versions map[uuid.UUID]*cases.Version) (*cases.Case, error) {
	c := &cases.Case{ID: r.ID, CreateTime: r.CreateTime.UTC(), UpdateTime: r.UpdateTime.UTC(), Revision: r.Revision, State: r.State,
		Author: r.Author, PublishTime: utcPtr(r.PublishTime), VersionCount: r.VersionCount, ReviewComment: r.ReviewComment}
	if c.Working = versions[r.WorkingVersionID]; c.Working == nil {
		return nil, fmt.Errorf("case %s: working version %s missing", r.ID, r.WorkingVersionID)
	}
	if r.PublishedVersionID != nil {
		if c.Published = versions[*r.PublishedVersionID]; c.Published == nil {
			return nil, fmt.Errorf("case %s: published version %s missing", r.ID, *r.PublishedVersionID)
		}
	}
	return c, nil
}

// loadCases reads the cases with the ids, with their versions, in the order of ids.
func (q queries) loadCases(ctx context.Context, ids []uuid.UUID) ([]*cases.Case, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := q.c.CaseRecord.Query().Where(caserecord.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	var vids []uuid.UUID
	for _, r := range rows {
		vids = append(vids, r.WorkingVersionID)
		if r.PublishedVersionID != nil && *r.PublishedVersionID != r.WorkingVersionID {
			vids = append(vids, *r.PublishedVersionID)
		}
	}
	vrows, err := q.c.CaseVersion.Query().Where(caseversion.IDIn(vids...)).All(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	versions := make(map[uuid.UUID]*cases.Version, len(vrows))
	for _, vr := range vrows {
		v, err := toVersion(vr)
		if err != nil {
			return nil, err
		}
		versions[v.ID] = v
	}
	if err := q.markGoneContacts(ctx, versions); err != nil {
		return nil, err
	}
	byID := make(map[uuid.UUID]*cases.Case, len(rows))
	for _, r := range rows {
		c, err := toCase(r, versions)
		if err != nil {
			return nil, err
		}
		byID[c.ID] = c
	}
	out := make([]*cases.Case, 0, len(ids))
	for _, id := range ids {
		if c := byID[id]; c != nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// markGoneContacts sets Ack.ContactGone on the versions whose acknowledging contact is
// no longer a contact of the case's account (deleted since): checked on every read,
// as published search checks it in SQL, so deleting a contact needs no write here.
func (q queries) markGoneContacts(ctx context.Context, versions map[uuid.UUID]*cases.Version) error {
	var ids []uuid.UUID
	for _, v := range versions {
		if v.Ack != nil && v.Ack.Contact != uuid.Nil {
			ids = append(ids, v.Ack.Contact)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := q.c.Contact.Query().Where(contact.IDIn(ids...)).Select(contact.FieldID, contact.FieldAccountID).All(ctx)
	if err != nil {
		return mapErr(err)
	}
	owner := make(map[uuid.UUID]uuid.UUID, len(rows))
	for _, r := range rows {
		owner[r.ID] = r.AccountID
	}
	for _, v := range versions {
		if a := v.Ack; a != nil && a.Contact != uuid.Nil {
			acc, ok := owner[a.Contact]
			a.ContactGone = !ok || acc != v.Account
		}
	}
	return nil
}

// ---- reads

func (q queries) GetCase(ctx context.Context, id uuid.UUID) (*cases.Case, error) {
	cs, err := q.loadCases(ctx, []uuid.UUID{id})
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, account.ErrNotFound
	}
	return cs[0], nil
}

func (q txQueries) LockCase(ctx context.Context, id uuid.UUID) (*cases.Case, error) {
	if q.postgres() {
		if _, err := q.c.CaseRecord.Query().Where(caserecord.ID(id)).ForUpdate().IDs(ctx); err != nil {
			return nil, mapErr(err)
		}
	}
	return q.GetCase(ctx, id)
}

// caseArgs builds a statement's arguments with the dialect's placeholders.
type caseArgs struct {
	pg   bool
	args []any
}

func (a *caseArgs) add(v any) string {
	a.args = append(a.args, v)
	if a.pg {
		return "$" + strconv.Itoa(len(a.args))
	}
	return "?" + strconv.Itoa(len(a.args)) // numbered, so a placeholder can be used twice
}

// CaseSearchSQL returns the statement ListCases runs for f (one page of size+1 case
// ids, with their rank when f has a query) and its arguments. The benchmark runs it
// bare beside the service.
func (q queries) CaseSearchSQL(f cases.Filter, size int, after *page.Cursor) (string, []any, error) {
	a := &caseArgs{pg: q.postgres()}
	vcol := "c.working_version_id"
	if f.View == cases.ViewPublished {
		vcol = "c.published_version_id"
	}
	var b strings.Builder
	rank := "0"
	b.WriteString("SELECT c.id, ")
	from := " FROM cases c JOIN case_versions v ON v.id = " + vcol
	if len(f.Query) > 0 {
		rank = "s.rank"
		if q.postgres() {
			// The matches are ranked and ordered in a subquery fenced by OFFSET 0, so
			// the sort holds (version_id, rank) pairs only. Unfenced, the planner
			// pulled it up and carried each row's tsvector (~1.2 kB) through the sort
			// so the incremental sort above could recompute the rank: a common word's
			// ~30,000 matches spilled ~50 MB to disk per search. Ordered, the outer
			// join reads ranks best first and stops once the page is full.
			tsq := "CAST(" + a.add(cases.TSQuery(f.Query)) + " AS tsquery)"
			from += " JOIN (SELECT version_id, ts_rank(doc, " + tsq + ") AS rank FROM case_search WHERE doc @@ " + tsq +
				" ORDER BY 2 DESC OFFSET 0) s ON s.version_id = v.id"
		} else {
			from += " JOIN (SELECT k.version_id, -bm25(case_search, 10.0, 4.0, 2.0, 1.0) AS rank FROM case_search JOIN case_search_keys k ON k.rowid = case_search.rowid" +
				" WHERE case_search MATCH " + a.add(cases.FTSQuery(f.Query)) + ") s ON s.version_id = v.id"
		}
	}
	b.WriteString(rank + " AS rank" + from + " WHERE 1=1")
	if f.View == cases.ViewPublished {
		fence := ""
		if q.postgres() {
			fence = " OFFSET 0"
		}
		b.WriteString(" AND c.state <> 'ARCHIVED' AND v.ack_contact_id IS NOT NULL AND v.ack_time IS NOT NULL AND v.ack_scope <> ''" +
			" AND v.ack_revoke_time IS NULL AND (v.ack_expire_time IS NULL OR v.ack_expire_time > " + a.add(f.Now.UTC()) + ")" +
			// The acknowledging contact must still be on record (Acknowledgement.ContactGone).
			// OFFSET 0 keeps this a per-row primary-key probe: as a semi-join the planner
			// hashed all contacts and all versions before ranking, losing the plan that
			// reads ranks best first and stops at the page.
			" AND EXISTS (SELECT 1 FROM contacts ct WHERE ct.id = v.ack_contact_id AND ct.account_id = v.account_id" + fence + ")")
		if f.Scopes != nil {
			ph := make([]string, len(f.Scopes))
			for i, s := range f.Scopes {
				ph[i] = a.add(s)
			}
			b.WriteString(" AND v.ack_scope IN (" + strings.Join(ph, ", ") + ")")
		}
	}
	if f.State != "" {
		b.WriteString(" AND c.state = " + a.add(f.State))
	}
	if f.Industry != "" {
		b.WriteString(" AND v.industry = " + a.add(f.Industry))
	}
	if f.ProblemCategory != "" {
		b.WriteString(" AND v.problem_category = " + a.add(f.ProblemCategory))
	}
	if f.Account != nil {
		b.WriteString(" AND v.account_id = " + a.add(f.Account.String()))
	}
	for kind, val := range map[string]string{"product": f.Product, "tag": f.Tag} {
		if val != "" {
			b.WriteString(" AND EXISTS (SELECT 1 FROM case_terms t WHERE t.version_id = v.id AND t.kind = " + a.add(kind) + " AND t.value = " + a.add(val) + ")")
		}
	}
	if after != nil {
		switch {
		case len(f.Query) > 0 && len(after.Keys) == 2:
			r, err := strconv.ParseFloat(after.Keys[0], 64)
			id, err2 := uuid.Parse(after.Keys[1])
			if err != nil || err2 != nil {
				return "", nil, account.ErrBadCursor
			}
			cast := a.add(r)
			if q.postgres() {
				cast = "CAST(" + cast + " AS real)"
			}
			b.WriteString(" AND (" + rank + " < " + cast + " OR (" + rank + " = " + cast + " AND c.id < " + a.add(id.String()) + "))")
		case len(f.Query) == 0 && len(after.Keys) == 1:
			id, err := uuid.Parse(after.Keys[0])
			if err != nil {
				return "", nil, account.ErrBadCursor
			}
			b.WriteString(" AND c.id < " + a.add(id.String()))
		default:
			return "", nil, account.ErrBadCursor
		}
	}
	if len(f.Query) > 0 {
		b.WriteString(" ORDER BY " + rank + " DESC, c.id DESC")
	} else {
		b.WriteString(" ORDER BY c.id DESC")
	}
	b.WriteString(" LIMIT " + strconv.Itoa(size+1))
	return b.String(), a.args, nil
}

func (q queries) ListCases(ctx context.Context, f cases.Filter, size int, after *page.Cursor) ([]*cases.Case, *page.Cursor, error) {
	query, args, err := q.CaseSearchSQL(f, size, after)
	if err != nil {
		return nil, nil, err
	}
	rows, err := q.c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	defer rows.Close()
	var ids []uuid.UUID
	ranks := map[uuid.UUID]float64{}
	for rows.Next() {
		var sid string
		var r float64
		if err := rows.Scan(&sid, &r); err != nil {
			return nil, nil, err
		}
		id, err := uuid.Parse(sid)
		if err != nil {
			return nil, nil, err
		}
		ids = append(ids, id)
		ranks[id] = r
	}
	if err := rows.Err(); err != nil {
		return nil, nil, mapErr(err)
	}
	var next *page.Cursor
	if len(ids) > size {
		ids = ids[:size]
		last := ids[len(ids)-1]
		if len(f.Query) > 0 {
			next = &page.Cursor{Keys: []string{strconv.FormatFloat(ranks[last], 'g', -1, 64), last.String()}}
		} else {
			next = &page.Cursor{Keys: []string{last.String()}}
		}
	}
	out, err := q.loadCases(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range out {
		c.Rank = ranks[c.ID]
	}
	return out, next, nil
}

func (q queries) ListCaseEvents(ctx context.Context, id uuid.UUID, size int, after *page.Cursor) ([]*cases.Event, *page.Cursor, error) {
	query := q.c.CaseEvent.Query().Where(caseevent.CaseID(id)).Order(ent.Asc(caseevent.FieldID)).Limit(size + 1)
	if after != nil {
		if len(after.Keys) != 1 {
			return nil, nil, account.ErrBadCursor
		}
		aid, err := uuid.Parse(after.Keys[0])
		if err != nil {
			return nil, nil, account.ErrBadCursor
		}
		query.Where(caseevent.IDGT(aid))
	}
	rows, err := query.All(ctx)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	var next *page.Cursor
	if len(rows) > size {
		rows = rows[:size]
		next = &page.Cursor{Keys: []string{rows[len(rows)-1].ID.String()}}
	}
	out := make([]*cases.Event, len(rows))
	for i, r := range rows {
		out[i] = &cases.Event{ID: r.ID, Case: r.CaseID, Time: r.Time.UTC(), Actor: r.Actor, Action: r.Action, From: r.FromState, To: r.ToState,
			Version: r.Version, Comment: r.Comment}
	}
	return out, next, nil
}

func termID(kind, key string) string { return cases.TermName(kind, key) }

func (q queries) ListTerms(ctx context.Context, kind string, size int, after *page.Cursor) ([]*cases.Term, *page.Cursor, error) {
	query := q.c.CaseTaxonomyTerm.Query().Where(casetaxonomyterm.Kind(kind)).Order(ent.Asc(casetaxonomyterm.FieldID)).Limit(size + 1)
	if after != nil {
		if len(after.Keys) != 1 {
			return nil, nil, account.ErrBadCursor
		}
		query.Where(casetaxonomyterm.IDGT(after.Keys[0]))
	}
	rows, err := query.All(ctx)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	var next *page.Cursor
	if len(rows) > size {
		rows = rows[:size]
		next = &page.Cursor{Keys: []string{rows[len(rows)-1].ID}}
	}
	out := make([]*cases.Term, len(rows))
	for i, r := range rows {
		out[i] = &cases.Term{Kind: r.Kind, Key: strings.TrimPrefix(r.ID, cases.Collections[r.Kind]+"/"), DisplayName: r.DisplayName,
			Description: r.Description, CreateTime: r.CreateTime.UTC()}
	}
	return out, next, nil
}

func (q queries) MissingTerms(ctx context.Context, kind string, keys []string) ([]string, error) {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = termID(kind, k)
	}
	found, err := q.c.CaseTaxonomyTerm.Query().Where(casetaxonomyterm.Kind(kind), casetaxonomyterm.IDIn(ids...)).IDs(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	have := map[string]bool{}
	for _, id := range found {
		have[id] = true
	}
	var missing []string
	for i, k := range keys {
		if !have[ids[i]] {
			missing = append(missing, k)
		}
	}
	return missing, nil
}

func (q queries) ContactAccount(ctx context.Context, id uuid.UUID) (uuid.UUID, error) {
	r, err := q.c.Contact.Query().Where(contact.ID(id)).Only(ctx)
	if err != nil {
		return uuid.Nil, mapErr(err)
	}
	return r.AccountID, nil
}

// ---- writes

func (q txQueries) InsertCase(ctx context.Context, c *cases.Case) error {
	return mapErr(q.c.CaseRecord.Create().SetID(c.ID).SetCreateTime(c.CreateTime).SetUpdateTime(c.UpdateTime).SetRevision(c.Revision).
		SetState(c.State).SetAuthor(c.Author).SetWorkingVersionID(c.Working.ID).SetVersionCount(c.VersionCount).
		SetReviewComment(c.ReviewComment).Exec(ctx))
}

func (q txQueries) UpdateCase(ctx context.Context, c *cases.Case, prev int64) error {
	u := q.c.CaseRecord.Update().Where(caserecord.ID(c.ID), caserecord.Revision(prev)).
		SetUpdateTime(c.UpdateTime).SetRevision(c.Revision).SetState(c.State).SetWorkingVersionID(c.Working.ID).
		SetVersionCount(c.VersionCount).SetReviewComment(c.ReviewComment).SetNillablePublishTime(utcPtr(c.PublishTime))
	if c.Published != nil {
		u.SetPublishedVersionID(c.Published.ID)
	} else {
		u.ClearPublishedVersionID()
	}
	n, err := u.Save(ctx)
	if err != nil {
		return mapErr(err)
	}
	if n == 0 {
		return account.ErrStale
	}
	return nil
}

func ackFields(v *cases.Version) (contact *uuid.UUID, at *time.Time, scope string, expire *time.Time) {
	a := v.Ack
	if a == nil || a.Contact == uuid.Nil {
		return nil, nil, "", nil
	}
	c := a.Contact
	if !a.Time.IsZero() {
		t := a.Time.UTC()
		at = &t
	}
	return &c, at, a.Scope, utcPtr(a.ExpireTime)
}

func (q txQueries) InsertVersion(ctx context.Context, v *cases.Version) error {
	contact, at, scope, expire := ackFields(v)
	cr := q.c.CaseVersion.Create().SetID(v.ID).SetCaseID(v.Case).SetNumber(v.Number).SetCreateTime(v.CreateTime).SetUpdateTime(v.UpdateTime).
		SetEditor(v.Editor).SetTitle(v.Title).SetAccountID(v.Account).SetIndustry(v.Industry).SetProblemCategory(v.ProblemCategory).
		SetScenario(v.Scenario).SetProblem(v.Problem).SetSolution(v.Solution).SetProducts(encodeStrings(v.Products)).
		SetTags(encodeStrings(v.Tags)).SetResults(encodeResults(v.Results)).SetNillableAckContactID(contact).SetNillableAckTime(at).
		SetAckScope(scope).SetNillableAckExpireTime(expire)
	if a := v.Ack; a != nil && a.RevokeTime != nil {
		cr.SetAckRevokeTime(a.RevokeTime.UTC()).SetAckRevokedBy(a.RevokedBy).SetAckRevokeReason(a.RevokeReason)
	}
	if err := cr.Exec(ctx); err != nil {
		return mapErr(err)
	}
	return q.indexVersion(ctx, v, false)
}

func (q txQueries) SaveVersion(ctx context.Context, v *cases.Version) error {
	contact, at, scope, expire := ackFields(v)
	u := q.c.CaseVersion.UpdateOneID(v.ID).SetUpdateTime(v.UpdateTime).SetEditor(v.Editor).SetTitle(v.Title).SetAccountID(v.Account).
		SetIndustry(v.Industry).SetProblemCategory(v.ProblemCategory).SetScenario(v.Scenario).SetProblem(v.Problem).
		SetSolution(v.Solution).SetProducts(encodeStrings(v.Products)).SetTags(encodeStrings(v.Tags)).
		SetResults(encodeResults(v.Results)).SetAckScope(scope)
	if contact != nil {
		u.SetAckContactID(*contact)
	} else {
		u.ClearAckContactID()
	}
	if at != nil {
		u.SetAckTime(*at)
	} else {
		u.ClearAckTime()
	}
	if expire != nil {
		u.SetAckExpireTime(*expire)
	} else {
		u.ClearAckExpireTime()
	}
	if a := v.Ack; a != nil && a.RevokeTime != nil {
		u.SetAckRevokeTime(a.RevokeTime.UTC()).SetAckRevokedBy(a.RevokedBy).SetAckRevokeReason(a.RevokeReason)
	} else {
		u.ClearAckRevokeTime().SetAckRevokedBy("").SetAckRevokeReason("")
	}
	if err := u.Exec(ctx); err != nil {
		return mapErr(err)
	}
	return q.indexVersion(ctx, v, true)
}

// indexVersion writes a version's product and tag terms and its search document.
func (q txQueries) indexVersion(ctx context.Context, v *cases.Version, replace bool) error {
	if replace {
		if _, err := q.c.CaseTerm.Delete().Where(caseterm.VersionID(v.ID)).Exec(ctx); err != nil {
			return mapErr(err)
		}
	}
	var bulk []*ent.CaseTermCreate
	for _, p := range v.Products {
		bulk = append(bulk, q.c.CaseTerm.Create().SetVersionID(v.ID).SetKind("product").SetValue(p))
	}
	for _, t := range v.Tags {
		bulk = append(bulk, q.c.CaseTerm.Create().SetVersionID(v.ID).SetKind("tag").SetValue(t))
	}
	if len(bulk) > 0 {
		if err := q.c.CaseTerm.CreateBulk(bulk...).Exec(ctx); err != nil {
			return mapErr(err)
		}
	}
	return q.writeSearchDoc(ctx, v.ID, cases.SearchFields(&v.Content))
}

// writeSearchDoc stores a version's search document: a weighted tsvector on
// PostgreSQL, an FTS5 row on SQLite (tables from the cases migration).
func (q queries) writeSearchDoc(ctx context.Context, version uuid.UUID, fields [4]string) error {
	if q.postgres() {
		_, err := q.c.ExecContext(ctx, "INSERT INTO case_search (version_id, doc) VALUES ($1, CAST($2 AS tsvector))"+
			" ON CONFLICT (version_id) DO UPDATE SET doc = EXCLUDED.doc", version.String(), cases.TSVector(fields))
		return mapErr(err)
	}
	if _, err := q.c.ExecContext(ctx, "INSERT INTO case_search_keys (version_id) VALUES (?) ON CONFLICT (version_id) DO NOTHING", version.String()); err != nil {
		return mapErr(err)
	}
	rows, err := q.c.QueryContext(ctx, "SELECT rowid FROM case_search_keys WHERE version_id = ?", version.String())
	if err != nil {
		return mapErr(err)
	}
	var rowid int64
	found := false
	for rows.Next() {
		if err := rows.Scan(&rowid); err != nil {
			rows.Close()
			return err
		}
		found = true
	}
	rows.Close()
	if !found {
		return fmt.Errorf("case search key of %s missing", version)
	}
	if _, err := q.c.ExecContext(ctx, "DELETE FROM case_search WHERE rowid = ?", rowid); err != nil {
		return mapErr(err)
	}
	_, err = q.c.ExecContext(ctx, "INSERT INTO case_search (rowid, title, problem, solution, results) VALUES (?, ?, ?, ?, ?)", rowid,
		cases.FTSColumn(fields[0]), cases.FTSColumn(fields[1]), cases.FTSColumn(fields[2]), cases.FTSColumn(fields[3]))
	return mapErr(err)
}

func (q txQueries) RevokeAcknowledgements(ctx context.Context, versions []uuid.UUID, t time.Time, by, reason string) error {
	_, err := q.c.CaseVersion.Update().Where(caseversion.IDIn(versions...), caseversion.AckRevokeTimeIsNil()).
		SetAckRevokeTime(t.UTC()).SetAckRevokedBy(by).SetAckRevokeReason(reason).Save(ctx)
	return mapErr(err)
}

func (q txQueries) InsertCaseEvent(ctx context.Context, e *cases.Event) error {
	return mapErr(q.c.CaseEvent.Create().SetID(e.ID).SetCaseID(e.Case).SetTime(e.Time.UTC()).SetActor(e.Actor).SetAction(e.Action).
		SetFromState(e.From).SetToState(e.To).SetVersion(e.Version).SetComment(e.Comment).Exec(ctx))
}

// InsertCaseEventOnce inserts e unless an event with its id exists (ON CONFLICT DO
// NOTHING, which leaves a PostgreSQL transaction usable, unlike a unique violation),
// and reports whether it did.
func (q txQueries) InsertCaseEventOnce(ctx context.Context, e *cases.Event) (bool, error) {
	a := &caseArgs{pg: q.postgres()}
	query := "INSERT INTO case_events (id, case_id, time, actor, action, from_state, to_state, version, comment) VALUES (" +
		strings.Join([]string{a.add(e.ID.String()), a.add(e.Case.String()), a.add(e.Time.UTC()), a.add(e.Actor), a.add(e.Action),
			a.add(e.From), a.add(e.To), a.add(e.Version), a.add(e.Comment)}, ", ") + ") ON CONFLICT (id) DO NOTHING"
	res, err := q.c.ExecContext(ctx, query, a.args...)
	if err != nil {
		return false, mapErr(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (q txQueries) ExpiredAcknowledgements(ctx context.Context, t time.Time, limit int) ([]cases.ExpiredAck, error) {
	a := &caseArgs{pg: q.postgres()}
	query := "SELECT c.id, v.number, c.state, v.ack_expire_time FROM cases c JOIN case_versions v ON v.case_id = c.id" +
		" AND (v.id = c.working_version_id OR v.id = c.published_version_id)" +
		" WHERE v.ack_expire_time <= " + a.add(t.UTC()) + " AND v.ack_revoke_time IS NULL AND v.ack_contact_id IS NOT NULL" +
		" AND NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.action = " + a.add(cases.ActionExpire) + " AND e.version = v.number)" +
		" ORDER BY c.id, v.number LIMIT " + strconv.Itoa(limit)
	if q.postgres() {
		query += " FOR UPDATE OF c SKIP LOCKED"
	}
	rows, err := q.c.QueryContext(ctx, query, a.args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []cases.ExpiredAck
	for rows.Next() {
		var id string
		var x cases.ExpiredAck
		if err := rows.Scan(&id, &x.Version, &x.State, &x.ExpireTime); err != nil {
			return nil, err
		}
		if x.Case, err = uuid.Parse(id); err != nil {
			return nil, err
		}
		x.ExpireTime = x.ExpireTime.UTC()
		out = append(out, x)
	}
	return out, mapErr(rows.Err())
}

func (q txQueries) InsertTerm(ctx context.Context, t *cases.Term) error {
	return mapErr(q.c.CaseTaxonomyTerm.Create().SetID(termID(t.Kind, t.Key)).SetKind(t.Kind).SetDisplayName(t.DisplayName).
		SetDescription(t.Description).SetCreateTime(t.CreateTime.UTC()).Exec(ctx))
}

func (q txQueries) DeleteTerm(ctx context.Context, kind, key string) error {
	n, err := q.c.CaseTaxonomyTerm.Delete().Where(casetaxonomyterm.ID(termID(kind, key)), casetaxonomyterm.Kind(kind)).Exec(ctx)
	if err != nil {
		return mapErr(err)
	}
	if n == 0 {
		return account.ErrNotFound
	}
	return nil
}
