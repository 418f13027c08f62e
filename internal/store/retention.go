package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/furrowhq/furrow/ent"
	entaccount "github.com/furrowhq/furrow/ent/account"
	"github.com/furrowhq/furrow/ent/labelchange"
	"github.com/furrowhq/furrow/ent/retentionalert"
	"github.com/furrowhq/furrow/ent/retentionpolicy"
	"github.com/furrowhq/furrow/ent/retentionstate"
	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/page"
	"github.com/furrowhq/furrow/internal/retention"
)

// WithRetentionTx runs fn in a transaction.
func (s *Store) WithRetentionTx(ctx context.Context, fn func(tx retention.Tx) error) error {
	return s.withTx(ctx, func(q queries) error { return fn(&txQueries{q}) })
}

var _ retention.Tx = (*txQueries)(nil)

const policyID = "default"

// ---- Policy ----

func (q queries) GetPolicy(ctx context.Context) (*retention.Policy, error) {
	r, err := q.c.RetentionPolicy.Get(ctx, policyID)
	if err != nil {
		return nil, mapErr(err)
	}
	p := &retention.Policy{Revision: r.Revision, UpdatedBy: r.UpdatedBy, UpdateTime: r.UpdateTime.UTC()}
	if err := json.Unmarshal([]byte(r.Definition), &p.Definition); err != nil {
		return nil, fmt.Errorf("retention policy: %w", err)
	}
	return p, nil
}

func (q txQueries) InsertPolicy(ctx context.Context, p *retention.Policy) error {
	def, err := json.Marshal(p.Definition)
	if err != nil {
		return err
	}
	err = q.c.RetentionPolicy.Create().SetID(policyID).SetDefinition(string(def)).SetRevision(p.Revision).
		SetUpdatedBy(p.UpdatedBy).SetUpdateTime(p.UpdateTime.UTC()).
		OnConflictColumns(retentionpolicy.FieldID).DoNothing().Exec(ctx)
	if err != nil && !isNoRows(err) {
		return mapErr(err)
	}
	return nil
}

func (q txQueries) SavePolicy(ctx context.Context, p *retention.Policy, revision int64) error {
	def, err := json.Marshal(p.Definition)
	if err != nil {
		return err
	}
	n, err := q.c.RetentionPolicy.Update().Where(retentionpolicy.ID(policyID), retentionpolicy.Revision(revision)).
		SetDefinition(string(def)).SetRevision(p.Revision).SetUpdatedBy(p.UpdatedBy).SetUpdateTime(p.UpdateTime.UTC()).Save(ctx)
	if err != nil {
		return mapErr(err)
	}
	if n == 0 {
		return account.ErrStale
	}
	return nil
}

// ---- States and changes ----

func encodeFacts(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	b, _ := json.Marshal(m) // map[string]string always encodes
	return string(b)
}

func decodeFacts(s string) map[string]string {
	if s == "" {
		return nil
	}
	var m map[string]string
	if json.Unmarshal([]byte(s), &m) != nil {
		return map[string]string{"unreadable": s}
	}
	return m
}

func toState(r *ent.RetentionState) *retention.State {
	st := &retention.State{Account: r.ID, Label: r.Label, Since: r.Since.UTC(), RuleLabel: r.RuleLabel, RuleKey: r.RuleKey,
		Facts: decodeFacts(r.Facts), EvaluateTime: r.EvaluateTime.UTC()}
	if r.ManualLabel != "" {
		st.Manual = &retention.Manual{Label: r.ManualLabel, Reason: r.ManualReason, By: r.ManualBy, ExpireTime: utcPtr(r.ManualExpireTime)}
		if r.ManualSetTime != nil {
			st.Manual.SetTime = r.ManualSetTime.UTC()
		}
	}
	return st
}

func (q queries) GetState(ctx context.Context, acc uuid.UUID) (*retention.State, error) {
	r, err := q.c.RetentionState.Query().Where(retentionstate.ID(acc), retentionstate.EvaluateTimeGT(unevaluated)).Only(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return toState(r), nil
}

// liveAccount keeps the rows of accounts that are not deleted.
func liveAccount(col string) func(*sql.Selector) {
	return func(s *sql.Selector) {
		t := sql.Table(entaccount.Table)
		s.Where(sql.In(s.C(col), sql.Select(t.C(entaccount.FieldID)).From(t).Where(sql.IsNull(t.C(entaccount.FieldDeleteTime)))))
	}
}

func (q queries) ListStates(ctx context.Context, label string, size int, after *page.Cursor) ([]*retention.State, *page.Cursor, error) {
	query := q.c.RetentionState.Query().Where(liveAccount(retentionstate.FieldID), retentionstate.EvaluateTimeGT(unevaluated))
	if label != "" {
		query.Where(retentionstate.LabelEQ(label))
	}
	if after != nil {
		if len(after.Keys) != 1 {
			return nil, nil, account.ErrBadCursor
		}
		id, err := uuid.Parse(after.Keys[0])
		if err != nil {
			return nil, nil, account.ErrBadCursor
		}
		query.Where(retentionstate.IDGT(id))
	}
	rows, err := query.Order(ent.Asc(retentionstate.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	var next *page.Cursor
	if len(rows) > size {
		rows = rows[:size]
		next = &page.Cursor{Keys: []string{rows[size-1].ID.String()}}
	}
	out := make([]*retention.State, len(rows))
	for i, r := range rows {
		out[i] = toState(r)
	}
	return out, next, nil
}

// timeIDCursor reads a (time, id) page cursor.
func (q queries) ListChanges(ctx context.Context, acc uuid.UUID, size int, after *page.Cursor) ([]*retention.Change, *page.Cursor, error) {
	query := q.c.LabelChange.Query().Where(labelchange.AccountID(acc))
	if after != nil {
		seek, err := afterTimeID(after, labelchange.FieldChangeTime, labelchange.FieldID, true)
		if err != nil {
			return nil, nil, err
		}
		query.Where(seek)
	}
	rows, err := query.Order(ent.Desc(labelchange.FieldChangeTime), ent.Desc(labelchange.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	rows, next := timeIDPage(rows, size, func(r *ent.LabelChange) (time.Time, uuid.UUID) { return r.ChangeTime, r.ID })
	out := make([]*retention.Change, len(rows))
	for i, r := range rows {
		out[i] = &retention.Change{ID: r.ID, Account: r.AccountID, From: r.FromLabel, To: r.ToLabel, Time: r.ChangeTime.UTC(),
			Cause: r.Cause, RuleKey: r.RuleKey, Facts: decodeFacts(r.Facts), Actor: r.Actor, Reason: r.Reason, WinBack: r.WinBack}
	}
	return out, next, nil
}

// unevaluated marks a placeholder state row: locked, never committed as such.
var unevaluated = time.Unix(0, 0).UTC()

func (q txQueries) LockStates(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*retention.State, error) {
	out := make(map[uuid.UUID]*retention.State, len(ids))
	for _, part := range chunks(ids, 1000) {
		query := q.c.RetentionState.Query().Where(retentionstate.IDIn(part...))
		if q.postgres() {
			// A row to lock for every live account, also those never evaluated, so two
			// evaluations of a new account take turns instead of both recording its
			// first label. Evaluation saves a real state over the placeholder; one left
			// behind (an account deleted meanwhile) reads as no state.
			a := &sqlArgs{pg: true}
			if _, err := q.c.ExecContext(ctx, "INSERT INTO retention_states (id, since, evaluate_time) SELECT id, "+a.add(unevaluated)+", "+
				a.add(unevaluated)+" FROM accounts WHERE "+a.in("id", part)+" AND delete_time IS NULL ON CONFLICT (id) DO NOTHING", a.args...); err != nil {
				return nil, mapErr(err)
			}
			query = query.Order(ent.Asc(retentionstate.FieldID)).ForUpdate() // id order: no deadlocks
		}
		rows, err := query.All(ctx)
		if err != nil {
			return nil, mapErr(err)
		}
		for _, r := range rows {
			if r.EvaluateTime.Equal(unevaluated) {
				continue // a placeholder: no state yet
			}
			out[r.ID] = toState(r)
		}
	}
	return out, nil
}

func (q txQueries) SaveState(ctx context.Context, st *retention.State) error {
	c := q.c.RetentionState.Create().SetID(st.Account).SetLabel(st.Label).SetSince(st.Since.UTC()).SetRuleLabel(st.RuleLabel).
		SetRuleKey(st.RuleKey).SetFacts(encodeFacts(st.Facts)).SetEvaluateTime(st.EvaluateTime.UTC())
	if m := st.Manual; m != nil {
		c.SetManualLabel(m.Label).SetManualReason(m.Reason).SetManualBy(m.By).SetManualSetTime(m.SetTime.UTC()).SetNillableManualExpireTime(utcPtr(m.ExpireTime))
	}
	err := c.OnConflictColumns(retentionstate.FieldID).Update(func(u *ent.RetentionStateUpsert) {
		u.UpdateLabel().UpdateSince().UpdateRuleLabel().UpdateRuleKey().UpdateFacts().UpdateEvaluateTime()
		if m := st.Manual; m != nil {
			u.UpdateManualLabel().UpdateManualReason().UpdateManualBy().UpdateManualSetTime()
			if m.ExpireTime != nil {
				u.UpdateManualExpireTime()
			} else {
				u.ClearManualExpireTime()
			}
		} else {
			u.SetManualLabel("").SetManualReason("").SetManualBy("").ClearManualSetTime().ClearManualExpireTime()
		}
	}).Exec(ctx)
	return mapErr(err)
}

func (q txQueries) InsertChange(ctx context.Context, c *retention.Change) error {
	return mapErr(q.c.LabelChange.Create().SetID(c.ID).SetAccountID(c.Account).SetFromLabel(c.From).SetToLabel(c.To).
		SetChangeTime(c.Time.UTC()).SetCause(c.Cause).SetRuleKey(c.RuleKey).SetFacts(encodeFacts(c.Facts)).
		SetActor(c.Actor).SetReason(c.Reason).SetWinBack(c.WinBack).Exec(ctx))
}

func (q txQueries) ExpiredManual(ctx context.Context, t time.Time, limit int) ([]uuid.UUID, error) {
	ids, err := q.c.RetentionState.Query().Where(retentionstate.ManualExpireTimeLTE(t.UTC()), liveAccount(retentionstate.FieldID)).
		Order(ent.Asc(retentionstate.FieldID)).Limit(limit).IDs(ctx)
	return ids, mapErr(err)
}

// ---- Accounts and facts ----

func (q queries) LiveAccounts(ctx context.Context, after *uuid.UUID, limit int) ([]uuid.UUID, error) {
	query := q.c.Account.Query().Where(entaccount.DeleteTimeIsNil())
	if after != nil {
		query.Where(entaccount.IDGT(*after))
	}
	ids, err := query.Order(ent.Asc(entaccount.FieldID)).Limit(limit).IDs(ctx)
	return ids, mapErr(err)
}

func (q queries) AccountExists(ctx context.Context, id uuid.UUID) (bool, error) {
	ok, err := q.c.Account.Query().Where(entaccount.ID(id), entaccount.DeleteTimeIsNil()).Exist(ctx)
	return ok, mapErr(err)
}

func (q txQueries) Facts(ctx context.Context, ids []uuid.UUID, t time.Time, measures []string) (map[uuid.UUID]*retention.Facts, error) {
	out := make(map[uuid.UUID]*retention.Facts, len(ids))
	for _, part := range chunks(ids, 1000) {
		rows, err := q.c.Account.Query().Where(entaccount.IDIn(part...), entaccount.DeleteTimeIsNil()).
			Select(entaccount.FieldID, entaccount.FieldOwner, entaccount.FieldCreateTime).All(ctx)
		if err != nil {
			return nil, mapErr(err)
		}
		for _, r := range rows {
			out[r.ID] = &retention.Facts{Exists: r.CreateTime.Before(t) || r.CreateTime.Equal(t), Owner: r.Owner, Signals: map[string]retention.SignalValue{}}
		}
		b := dealsAndInteractions{q: q.queries, ids: part, t: t, out: out}
		if err := b.read(ctx); err != nil {
			return nil, err
		}
		if err := q.grades(ctx, part, out); err != nil {
			return nil, err
		}
		if len(measures) > 0 {
			if err := q.latestSignals(ctx, part, t, measures, out); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

type dealsAndInteractions struct {
	q   queries
	ids []uuid.UUID
	t   time.Time
	out map[uuid.UUID]*retention.Facts
}

func (b dealsAndInteractions) read(ctx context.Context) error {
	a := &sqlArgs{pg: b.q.postgres()}
	dealTime := "close_date"
	if b.q.postgres() {
		dealTime = "(close_date::timestamp AT TIME ZONE 'UTC')"
	}
	query := "SELECT account_id, MIN(" + dealTime + "), MAX(" + dealTime + ") FROM deals WHERE " + a.in("account_id", b.ids) +
		" AND status = " + a.add(account.StatusWon) + " AND " + dealTime + " <= " + a.add(b.t.UTC()) + " GROUP BY account_id"
	if err := b.scan(ctx, query, a.args, func(f *retention.Facts, first, last time.Time) {
		f.FirstDeal, f.LastDeal = &first, &last
	}); err != nil {
		return fmt.Errorf("deal facts: %w", err)
	}
	a = &sqlArgs{pg: b.q.postgres()}
	query = "SELECT account_id, MAX(occur_time), MAX(occur_time) FROM interactions WHERE " + a.in("account_id", b.ids) +
		" AND occur_time <= " + a.add(b.t.UTC()) + " GROUP BY account_id"
	if err := b.scan(ctx, query, a.args, func(f *retention.Facts, last, _ time.Time) { f.LastInteraction = &last }); err != nil {
		return fmt.Errorf("interaction facts: %w", err)
	}
	a = &sqlArgs{pg: b.q.postgres()}
	query = "SELECT account_id, MAX(time), MAX(time) FROM survey_responses WHERE " + a.in("account_id", b.ids) +
		" AND time <= " + a.add(b.t.UTC()) + " AND NOT is_excluded AND (kind = " + a.add("COMPLAINT") + " OR (kind = " + a.add("NPS") +
		" AND score <= 6)) GROUP BY account_id"
	if err := b.scan(ctx, query, a.args, func(f *retention.Facts, last, _ time.Time) { f.LastDetractor = &last }); err != nil {
		return fmt.Errorf("survey facts: %w", err)
	}
	return nil
}

func (b dealsAndInteractions) scan(ctx context.Context, query string, args []any, set func(f *retention.Facts, x, y time.Time)) error {
	rows, err := b.q.c.QueryContext(ctx, query, args...)
	if err != nil {
		return mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var x, y any
		if err := rows.Scan(&id, &x, &y); err != nil {
			return mapErr(err)
		}
		tx, err := asTime(x)
		if err != nil {
			return err
		}
		ty, err := asTime(y)
		if err != nil {
			return err
		}
		if f := b.out[id]; f != nil {
			set(f, tx, ty)
		}
	}
	return mapErr(rows.Err())
}

// grades reads the health grade in effect of the accounts.
func (q queries) grades(ctx context.Context, ids []uuid.UUID, out map[uuid.UUID]*retention.Facts) error {
	a := &sqlArgs{pg: q.postgres()}
	rows, err := q.c.QueryContext(ctx, "SELECT id, grade FROM account_healths WHERE "+a.in("id", ids), a.args...)
	if err != nil {
		return mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var g string
		if err := rows.Scan(&id, &g); err != nil {
			return mapErr(err)
		}
		if f := out[id]; f != nil {
			f.Grade = g
		}
	}
	return mapErr(rows.Err())
}

// latestSignals reads the latest value of each measure per account up to t.
func (q queries) latestSignals(ctx context.Context, ids []uuid.UUID, t time.Time, measures []string, out map[uuid.UUID]*retention.Facts) error {
	a := &sqlArgs{pg: q.postgres()}
	where := a.in("account_id", ids) + " AND " + a.inStrings("measure", measures) + " AND time <= " + a.add(t.UTC())
	query := "SELECT account_id, measure, value_micros, time FROM (SELECT account_id, measure, value_micros, time, " +
		"ROW_NUMBER() OVER (PARTITION BY account_id, measure ORDER BY time DESC, value_micros DESC, id DESC) AS rn FROM signals WHERE " +
		where + ") latest WHERE rn = 1"
	if q.postgres() {
		query = "SELECT DISTINCT ON (account_id, measure) account_id, measure, value_micros, time FROM signals WHERE " + where +
			" ORDER BY account_id DESC, measure DESC, time DESC, value_micros DESC, id DESC"
	}
	rows, err := q.c.QueryContext(ctx, query, a.args...)
	if err != nil {
		return mapErr(fmt.Errorf("latest signals: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var m string
		var v int64
		var at any
		if err := rows.Scan(&id, &m, &v, &at); err != nil {
			return mapErr(err)
		}
		ts, err := asTime(at)
		if err != nil {
			return err
		}
		if f := out[id]; f != nil {
			f.Signals[m] = retention.SignalValue{Value: float64(v) / 1e6, Time: ts}
		}
	}
	return mapErr(rows.Err())
}

// ---- Alerts ----

func toAlert(r *ent.RetentionAlert) *retention.Alert {
	a := &retention.Alert{ID: r.ID, Account: r.AccountID, Change: r.ChangeID, Owner: r.Owner, State: r.State, DueTime: r.DueTime.UTC(),
		Outcome: r.Outcome, Note: r.Note, AcknowledgeBy: r.AcknowledgedBy, AcknowledgedAt: utcPtr(r.AcknowledgeTime),
		ClosedBy: r.ClosedBy, CloseTime: utcPtr(r.CloseTime), CreateTime: r.CreateTime.UTC(), UpdateTime: r.UpdateTime.UTC(), Revision: r.Revision}
	_ = json.Unmarshal([]byte(r.Steps), &a.Steps) // written by InsertAlert/UpdateAlert only
	return a
}

func (q queries) GetAlert(ctx context.Context, id uuid.UUID) (*retention.Alert, error) {
	r, err := q.c.RetentionAlert.Get(ctx, id)
	if err != nil {
		return nil, mapErr(err)
	}
	return toAlert(r), nil
}

func (q queries) ListAlerts(ctx context.Context, f retention.AlertFilter, size int, after *page.Cursor) ([]*retention.Alert, *page.Cursor, error) {
	query := q.c.RetentionAlert.Query().Where(liveAccount(retentionalert.FieldAccountID))
	if f.Owner != "" {
		query.Where(retentionalert.Owner(f.Owner))
	}
	if f.Unassigned {
		query.Where(retentionalert.Owner(""))
	}
	if f.State != "" {
		query.Where(retentionalert.State(f.State))
	}
	if f.Account != nil {
		query.Where(retentionalert.AccountID(*f.Account))
	}
	if f.DueBefore != nil {
		query.Where(retentionalert.DueTimeLT(f.DueBefore.UTC()))
	}
	if after != nil {
		seek, err := afterTimeID(after, retentionalert.FieldDueTime, retentionalert.FieldID, false)
		if err != nil {
			return nil, nil, err
		}
		query.Where(seek)
	}
	rows, err := query.Order(ent.Asc(retentionalert.FieldDueTime), ent.Asc(retentionalert.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	rows, next := timeIDPage(rows, size, func(r *ent.RetentionAlert) (time.Time, uuid.UUID) { return r.DueTime, r.ID })
	out := make([]*retention.Alert, len(rows))
	for i, r := range rows {
		out[i] = toAlert(r)
	}
	return out, next, nil
}

func encodeSteps(steps []retention.Step) string {
	if steps == nil {
		steps = []retention.Step{}
	}
	b, _ := json.Marshal(steps)
	return string(b)
}

func (q txQueries) InsertAlert(ctx context.Context, a *retention.Alert) error {
	return mapErr(q.c.RetentionAlert.Create().SetID(a.ID).SetAccountID(a.Account).SetChangeID(a.Change).SetOwner(a.Owner).
		SetState(a.State).SetDueTime(a.DueTime.UTC()).SetSteps(encodeSteps(a.Steps)).SetCreateTime(a.CreateTime.UTC()).
		SetUpdateTime(a.UpdateTime.UTC()).SetRevision(a.Revision).Exec(ctx))
}

func (q txQueries) OpenAlert(ctx context.Context, acc uuid.UUID) (*retention.Alert, error) {
	r, err := q.c.RetentionAlert.Query().Where(retentionalert.AccountID(acc), retentionalert.StateNEQ(retention.AlertClosed)).Only(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return toAlert(r), nil
}

func (q txQueries) LockAlert(ctx context.Context, id uuid.UUID) (*retention.Alert, error) {
	query := q.c.RetentionAlert.Query().Where(retentionalert.ID(id))
	if q.postgres() {
		query = query.ForUpdate()
	}
	r, err := query.Only(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return toAlert(r), nil
}

func (q txQueries) UpdateAlert(ctx context.Context, a *retention.Alert) error {
	return mapErr(q.c.RetentionAlert.UpdateOneID(a.ID).SetState(a.State).SetSteps(encodeSteps(a.Steps)).SetOutcome(a.Outcome).
		SetNote(a.Note).SetAcknowledgedBy(a.AcknowledgeBy).SetNillableAcknowledgeTime(utcPtr(a.AcknowledgedAt)).
		SetClosedBy(a.ClosedBy).SetNillableCloseTime(utcPtr(a.CloseTime)).SetUpdateTime(a.UpdateTime.UTC()).
		SetRevision(a.Revision).Exec(ctx))
}
