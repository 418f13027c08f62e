package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/furrowhq/furrow/ent"
	entaccount "github.com/furrowhq/furrow/ent/account"
	"github.com/furrowhq/furrow/ent/auditcase"
	"github.com/furrowhq/furrow/ent/auditdepartment"
	"github.com/furrowhq/furrow/ent/auditevent"
	"github.com/furrowhq/furrow/ent/auditsettings"
	"github.com/furrowhq/furrow/ent/auditstandard"
	"github.com/furrowhq/furrow/internal/audit"
	"github.com/furrowhq/furrow/internal/page"
)

// WithAuditTx runs fn in a transaction.
func (s *Store) WithAuditTx(ctx context.Context, fn func(tx audit.Tx) error) error {
	return s.withTx(ctx, func(q queries) error { return fn(&txQueries{q}) })
}

var _ audit.Tx = (*txQueries)(nil)

func toDepartment(r *ent.AuditDepartment) (*audit.Department, error) {
	d := &audit.Department{ID: r.ID, DisplayName: r.DisplayName, CreateTime: r.CreateTime.UTC(), UpdateTime: r.UpdateTime.UTC(), Revision: r.Revision}
	if r.Calendar != "" {
		if err := json.Unmarshal([]byte(r.Calendar), &d.Calendar); err != nil {
			return nil, fmt.Errorf("department %s calendar: %w", r.ID, err)
		}
	}
	if err := d.Calendar.Validate(); err != nil {
		return nil, fmt.Errorf("department %s calendar: %w", r.ID, err)
	}
	return d, nil
}

func (q queries) GetAuditDepartment(ctx context.Context, id string) (*audit.Department, error) {
	r, err := q.c.AuditDepartment.Get(ctx, id)
	if err != nil {
		return nil, mapErr(err)
	}
	return toDepartment(r)
}

func (q queries) ListAuditDepartments(ctx context.Context) ([]*audit.Department, error) {
	rows, err := q.c.AuditDepartment.Query().Order(ent.Asc(auditdepartment.FieldID)).All(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]*audit.Department, len(rows))
	for i, r := range rows {
		if out[i], err = toDepartment(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (q txQueries) SaveAuditDepartment(ctx context.Context, d *audit.Department, create bool) error {
	cal, err := json.Marshal(d.Calendar)
	if err != nil {
		return err
	}
	if create {
		return mapErr(q.c.AuditDepartment.Create().SetID(d.ID).SetDisplayName(d.DisplayName).SetCalendar(string(cal)).
			SetCreateTime(d.CreateTime.UTC()).SetUpdateTime(d.UpdateTime.UTC()).SetRevision(d.Revision).Exec(ctx))
	}
	return mapErr(q.c.AuditDepartment.UpdateOneID(d.ID).SetDisplayName(d.DisplayName).SetCalendar(string(cal)).
		SetUpdateTime(d.UpdateTime.UTC()).SetRevision(d.Revision).Exec(ctx))
}

func toStandard(r *ent.AuditStandard) (*audit.Standard, error) {
	s := &audit.Standard{ID: r.ID, DisplayName: r.DisplayName, Stage: r.Stage, Department: r.Department,
		CreateTime: r.CreateTime.UTC(), UpdateTime: r.UpdateTime.UTC(), Revision: r.Revision}
	if err := json.Unmarshal([]byte(r.Targets), &s.Targets); err != nil {
		return nil, fmt.Errorf("standard %s targets: %w", r.ID, err)
	}
	return s, nil
}

func (q queries) GetAuditStandard(ctx context.Context, id string) (*audit.Standard, error) {
	r, err := q.c.AuditStandard.Get(ctx, id)
	if err != nil {
		return nil, mapErr(err)
	}
	return toStandard(r)
}

func (q queries) ListAuditStandards(ctx context.Context) ([]*audit.Standard, error) {
	rows, err := q.c.AuditStandard.Query().Order(ent.Asc(auditstandard.FieldID)).All(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]*audit.Standard, len(rows))
	for i, r := range rows {
		if out[i], err = toStandard(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (q txQueries) SaveAuditStandard(ctx context.Context, s *audit.Standard, create bool) error {
	targets, err := json.Marshal(s.Targets)
	if err != nil {
		return err
	}
	if create {
		return mapErr(q.c.AuditStandard.Create().SetID(s.ID).SetDisplayName(s.DisplayName).SetStage(s.Stage).SetDepartment(s.Department).
			SetTargets(string(targets)).SetCreateTime(s.CreateTime.UTC()).SetUpdateTime(s.UpdateTime.UTC()).SetRevision(s.Revision).Exec(ctx))
	}
	return mapErr(q.c.AuditStandard.UpdateOneID(s.ID).SetDisplayName(s.DisplayName).SetStage(s.Stage).SetDepartment(s.Department).
		SetTargets(string(targets)).SetUpdateTime(s.UpdateTime.UTC()).SetRevision(s.Revision).Exec(ctx))
}

const auditSettingsID = "default"

func (q queries) GetAuditPolicy(ctx context.Context) (*audit.Policy, error) {
	r, err := q.c.AuditSettings.Get(ctx, auditSettingsID)
	if err != nil {
		return nil, mapErr(err)
	}
	var p audit.Policy
	if err := json.Unmarshal([]byte(r.Policy), &p); err != nil {
		return nil, fmt.Errorf("audit policy: %w", err)
	}
	return &p, nil
}

func (q txQueries) SaveAuditPolicy(ctx context.Context, p *audit.Policy) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return mapErr(q.c.AuditSettings.Create().SetID(auditSettingsID).SetPolicy(string(b)).
		OnConflictColumns(auditsettings.FieldID).UpdatePolicy().Exec(ctx))
}

func toAuditCase(r *ent.AuditCase) (*audit.Case, error) {
	c := &audit.Case{ID: r.ID, Account: r.AccountID, Source: r.Source, SourceRef: r.SourceRef, Severity: r.Severity, Standard: r.Standard,
		Description: r.Description, Department: r.Department, Person: r.Person, Auditor: r.Auditor, State: r.State, GreenChannel: r.GreenChannel,
		Paused: r.Paused, Due: utcPtr(r.DueTime), ResolveTime: utcPtr(r.ResolveTime), CloseTime: utcPtr(r.CloseTime), Reopens: r.Reopens,
		LinkedCase: r.LinkedCase, RootCause: r.RootCause, RootCauseText: r.RootCauseText, AccountableDepartment: r.AccountableDepartment,
		AccountablePerson: r.AccountablePerson, Resolution: r.Resolution, OpenTime: r.OpenTime.UTC(), UpdateTime: r.UpdateTime.UTC(), Revision: r.Revision}
	if r.Actions != "" {
		if err := json.Unmarshal([]byte(r.Actions), &c.Actions); err != nil {
			return nil, fmt.Errorf("audit case %s actions: %w", r.ID, err)
		}
	}
	if r.Dispatches != "" {
		if err := json.Unmarshal([]byte(r.Dispatches), &c.Dispatches); err != nil {
			return nil, fmt.Errorf("audit case %s dispatches: %w", r.ID, err)
		}
	}
	return c, nil
}

func (q queries) GetAuditCase(ctx context.Context, id uuid.UUID) (*audit.Case, error) {
	r, err := q.c.AuditCase.Get(ctx, id)
	if err != nil {
		return nil, mapErr(err)
	}
	return toAuditCase(r)
}

func (q queries) ListAuditCases(ctx context.Context, f audit.CaseFilter, size int, after *page.Cursor) ([]*audit.Case, *page.Cursor, error) {
	query := q.c.AuditCase.Query().Where(liveAccount(auditcase.FieldAccountID))
	for col, v := range map[string]string{auditcase.FieldState: f.State, auditcase.FieldDepartment: f.Department, auditcase.FieldStandard: f.Standard,
		auditcase.FieldSource: f.Source, auditcase.FieldSeverity: f.Severity, auditcase.FieldAuditor: f.Auditor} {
		if v != "" {
			query.Where(func(s *sql.Selector) { s.Where(sql.EQ(s.C(col), v)) })
		}
	}
	if f.Account != nil {
		query.Where(auditcase.AccountID(*f.Account))
	}
	if f.GreenChannel != nil {
		query.Where(auditcase.GreenChannel(*f.GreenChannel))
	}
	if f.OverdueAt != nil {
		query.Where(auditcase.StateIn(audit.Open, audit.Investigating), auditcase.DueTimeLT(f.OverdueAt.UTC()))
	}
	if after != nil {
		seek, err := afterTimeID(after, auditcase.FieldOpenTime, auditcase.FieldID, true)
		if err != nil {
			return nil, nil, err
		}
		query.Where(seek)
	}
	rows, err := query.Order(ent.Desc(auditcase.FieldOpenTime), ent.Desc(auditcase.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	rows, next := timeIDPage(rows, size, func(r *ent.AuditCase) (time.Time, uuid.UUID) { return r.OpenTime, r.ID })
	out := make([]*audit.Case, len(rows))
	for i, r := range rows {
		if out[i], err = toAuditCase(r); err != nil {
			return nil, nil, err
		}
	}
	return out, next, nil
}

func (q queries) AuditEvents(ctx context.Context, id uuid.UUID) ([]audit.Event, error) {
	rows, err := q.c.AuditEvent.Query().Where(auditevent.CaseID(id)).Order(ent.Asc(auditevent.FieldTime), ent.Asc(auditevent.FieldID)).All(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]audit.Event, len(rows))
	for i, r := range rows {
		if out[i], err = toAuditEvent(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (q queries) AuditAccountExists(ctx context.Context, id uuid.UUID) (bool, error) {
	ok, err := q.c.Account.Query().Where(entaccount.ID(id), entaccount.DeleteTimeIsNil()).Exist(ctx)
	return ok, mapErr(err)
}

func setCase[M interface {
	SetSeverity(string) M
	SetStandard(string) M
	SetDescription(string) M
	SetDepartment(string) M
	SetPerson(string) M
	SetAuditor(string) M
	SetState(string) M
	SetGreenChannel(bool) M
	SetPaused(bool) M
	SetNillableDueTime(*time.Time) M
	SetNillableResolveTime(*time.Time) M
	SetNillableCloseTime(*time.Time) M
	SetReopens(int) M
	SetNillableLinkedCase(*uuid.UUID) M
	SetRootCause(string) M
	SetRootCauseText(string) M
	SetAccountableDepartment(string) M
	SetAccountablePerson(string) M
	SetActions(string) M
	SetDispatches(string) M
	SetResolution(string) M
	SetUpdateTime(time.Time) M
	SetRevision(int64) M
}](m M, c *audit.Case) (M, error) {
	actions, err := json.Marshal(c.Actions)
	if err != nil {
		return m, err
	}
	dispatches, err := json.Marshal(c.Dispatches)
	if err != nil {
		return m, err
	}
	return m.SetSeverity(c.Severity).SetStandard(c.Standard).SetDescription(c.Description).SetDepartment(c.Department).SetPerson(c.Person).
		SetAuditor(c.Auditor).SetState(c.State).SetGreenChannel(c.GreenChannel).SetPaused(c.Paused).SetNillableDueTime(utcPtr(c.Due)).
		SetNillableResolveTime(utcPtr(c.ResolveTime)).SetNillableCloseTime(utcPtr(c.CloseTime)).SetReopens(c.Reopens).
		SetNillableLinkedCase(c.LinkedCase).SetRootCause(c.RootCause).SetRootCauseText(c.RootCauseText).
		SetAccountableDepartment(c.AccountableDepartment).SetAccountablePerson(c.AccountablePerson).SetActions(string(actions)).
		SetDispatches(string(dispatches)).SetResolution(c.Resolution).SetUpdateTime(c.UpdateTime.UTC()).SetRevision(c.Revision), nil
}

func (q txQueries) InsertAuditCase(ctx context.Context, c *audit.Case) error {
	m, err := setCase(q.c.AuditCase.Create().SetID(c.ID).SetAccountID(c.Account).SetSource(c.Source).SetSourceRef(c.SourceRef).
		SetOpenTime(c.OpenTime.UTC()), c)
	if err != nil {
		return err
	}
	return mapErr(m.Exec(ctx))
}

func (q txQueries) LockAuditCase(ctx context.Context, id uuid.UUID) (*audit.Case, error) {
	query := q.c.AuditCase.Query().Where(auditcase.ID(id))
	if q.postgres() {
		query = query.ForUpdate()
	}
	r, err := query.Only(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return toAuditCase(r)
}

func (q txQueries) UpdateAuditCase(ctx context.Context, c *audit.Case) error {
	u := q.c.AuditCase.UpdateOneID(c.ID)
	if c.Due == nil {
		u.ClearDueTime()
	}
	if c.ResolveTime == nil {
		u.ClearResolveTime()
	}
	if c.CloseTime == nil {
		u.ClearCloseTime()
	}
	m, err := setCase(u, c)
	if err != nil {
		return err
	}
	return mapErr(m.Exec(ctx))
}

func (q txQueries) AppendAuditEvents(ctx context.Context, es []audit.Event) error {
	if len(es) == 0 {
		return nil
	}
	bulk := make([]*ent.AuditEventCreate, len(es))
	for i, e := range es {
		d, err := json.Marshal(e.Detail)
		if err != nil {
			return err
		}
		bulk[i] = q.c.AuditEvent.Create().SetID(e.ID).SetCaseID(e.Case).SetKind(e.Kind).SetTime(e.Time.UTC()).SetActor(e.Actor).SetDetail(string(d))
	}
	return mapErr(q.c.AuditEvent.CreateBulk(bulk...).Exec(ctx))
}

func (q txQueries) OpenWarningAuditCase(ctx context.Context, acc uuid.UUID, source string, since time.Time) (*audit.Case, error) {
	if q.postgres() {
		// One warning at a time per account, so two never open two cases.
		if _, err := q.c.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", "furrow.audit.warning:"+acc.String()); err != nil {
			return nil, mapErr(err)
		}
	}
	r, err := q.c.AuditCase.Query().Where(auditcase.AccountID(acc), auditcase.Source(source), auditcase.StateIn(audit.Open, audit.Investigating),
		auditcase.OpenTimeGTE(since.UTC())).Order(ent.Desc(auditcase.FieldOpenTime)).First(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return toAuditCase(r)
}

func (q queries) ReportAuditCases(ctx context.Context, start, end time.Time) ([]*audit.Case, error) {
	rows, err := q.c.AuditCase.Query().Where(liveAccount(auditcase.FieldAccountID), func(s *sql.Selector) {
		// The period's figures come from its opening and state events, whenever the
		// case opened; open and overdue counts are of now.
		t := sql.Table(auditevent.Table)
		inPeriod := sql.Select(t.C(auditevent.FieldCaseID)).From(t).Where(sql.And(
			sql.GTE(t.C(auditevent.FieldTime), start.UTC()), sql.LT(t.C(auditevent.FieldTime), end.UTC()),
			sql.In(t.C(auditevent.FieldKind), audit.EvOpened, audit.EvState)))
		s.Where(sql.Or(sql.In(s.C(auditcase.FieldID), inPeriod), sql.In(s.C(auditcase.FieldState), audit.Open, audit.Investigating)))
	}).All(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]*audit.Case, len(rows))
	for i, r := range rows {
		if out[i], err = toAuditCase(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func toAuditEvent(r *ent.AuditEvent) (audit.Event, error) {
	e := audit.Event{ID: r.ID, Case: r.CaseID, Kind: r.Kind, Time: r.Time.UTC(), Actor: r.Actor}
	if r.Detail != "" {
		if err := json.Unmarshal([]byte(r.Detail), &e.Detail); err != nil {
			return e, fmt.Errorf("audit event %s: %w", r.ID, err)
		}
	}
	return e, nil
}

func (q queries) AuditEventsOf(ctx context.Context, ids []uuid.UUID, until time.Time) (map[uuid.UUID][]audit.Event, error) {
	out := make(map[uuid.UUID][]audit.Event, len(ids))
	for part := range slices.Chunk(ids, 1000) {
		rows, err := q.c.AuditEvent.Query().Where(auditevent.CaseIDIn(part...), auditevent.TimeLT(until.UTC())).
			Order(ent.Asc(auditevent.FieldCaseID), ent.Asc(auditevent.FieldTime), ent.Asc(auditevent.FieldID)).All(ctx)
		if err != nil {
			return nil, mapErr(err)
		}
		for _, r := range rows {
			e, err := toAuditEvent(r)
			if err != nil {
				return nil, err
			}
			out[r.CaseID] = append(out[r.CaseID], e)
		}
	}
	return out, nil
}

func (q queries) ListAuditEvents(ctx context.Context, id uuid.UUID, size int, after *page.Cursor) ([]audit.Event, *page.Cursor, error) {
	query := q.c.AuditEvent.Query().Where(auditevent.CaseID(id))
	if after != nil {
		seek, err := afterTimeID(after, auditevent.FieldTime, auditevent.FieldID, false)
		if err != nil {
			return nil, nil, err
		}
		query.Where(seek)
	}
	rows, err := query.Order(ent.Asc(auditevent.FieldTime), ent.Asc(auditevent.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	rows, next := timeIDPage(rows, size, func(r *ent.AuditEvent) (time.Time, uuid.UUID) { return r.Time, r.ID })
	out := make([]audit.Event, len(rows))
	for i, r := range rows {
		if out[i], err = toAuditEvent(r); err != nil {
			return nil, nil, err
		}
	}
	return out, next, nil
}

func (q txQueries) LiveAuditCaseIDs(ctx context.Context, f audit.LiveCases) ([]uuid.UUID, error) {
	query := q.c.AuditCase.Query().Where(auditcase.StateIn(audit.Open, audit.Investigating))
	switch {
	case f.Department != "":
		query.Where(func(s *sql.Selector) {
			// Owned now, or reassigned away from it (its time still counts on its
			// calendar). Department keys are [a-z0-9-]: nothing to escape for LIKE.
			t := sql.Table(auditevent.Table)
			away := sql.Select(t.C(auditevent.FieldCaseID)).From(t).Where(sql.And(sql.EQ(t.C(auditevent.FieldKind), audit.EvReassigned),
				sql.Like(t.C(auditevent.FieldDetail), `%"from_department":"`+f.Department+`"%`)))
			s.Where(sql.Or(sql.EQ(s.C(auditcase.FieldDepartment), f.Department), sql.In(s.C(auditcase.FieldID), away)))
		})
	case f.Standard != "":
		query.Where(auditcase.Standard(f.Standard))
	case f.GreenChannel:
		query.Where(auditcase.GreenChannel(true))
	default:
		return nil, nil
	}
	ids, err := query.IDs(ctx)
	return ids, mapErr(err)
}

func (q queries) AuditSuccessor(ctx context.Context, id uuid.UUID) (*uuid.UUID, error) {
	ids, err := q.c.AuditCase.Query().Where(auditcase.LinkedCase(id)).Limit(1).IDs(ctx)
	if err != nil || len(ids) == 0 {
		return nil, mapErr(err)
	}
	return &ids[0], nil
}
