package store

import (
	"context"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/furrowhq/furrow/ent"
	"github.com/furrowhq/furrow/ent/accountexternalid"
	entactivity "github.com/furrowhq/furrow/ent/activity"
	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/listing"
	"github.com/furrowhq/furrow/internal/orderby"
	"github.com/furrowhq/furrow/internal/page"
)

// activityLockKey is the PostgreSQL advisory lock that orders the activity log: a
// transaction takes it before inserting its entries and holds it until it commits, so
// entry ids are allocated in commit order and a reader that has seen id n will never
// later find a smaller id appear (the change feed depends on it). SQLite runs one write
// transaction at a time and needs no lock.
const activityLockKey = 0x4655_5252_4f57 // "FURROW"

func (q txQueries) lockActivityLog(ctx context.Context) error {
	if !q.postgres() {
		return nil
	}
	_, err := q.c.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(activityLockKey))
	return mapErr(err)
}

func (q txQueries) RecordActivity(ctx context.Context, e activity.Entry) error {
	return q.RecordActivities(ctx, []activity.Entry{e})
}

// RecordActivities appends entries in one statement per 1000.
func (q txQueries) RecordActivities(ctx context.Context, es []activity.Entry) error {
	if len(es) == 0 {
		return nil
	}
	if err := q.lockActivityLog(ctx); err != nil {
		return err
	}
	for start := 0; start < len(es); start += 1000 {
		end := min(start+1000, len(es))
		b := make([]*ent.ActivityCreate, 0, end-start)
		for _, e := range es[start:end] {
			c := q.c.Activity.Create().SetCreateTime(e.CreateTime).SetActor(e.Actor).SetActorRole(e.ActorRole).
				SetPartnerID(e.Partner).SetMethod(e.Method).SetResource(e.Resource).SetAction(e.Action).
				SetChangedFields(e.ChangedFields).SetRequestID(e.RequestID)
			if e.Account != uuid.Nil {
				c.SetAccountID(e.Account)
			}
			b = append(b, c)
		}
		if err := q.c.Activity.CreateBulk(b...).Exec(ctx); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

func toEntry(r *ent.Activity) activity.Entry {
	e := activity.Entry{
		ID: r.ID, CreateTime: r.CreateTime.UTC(), Actor: r.Actor, ActorRole: r.ActorRole, Partner: r.PartnerID,
		Method: r.Method, Resource: r.Resource, Action: r.Action, ChangedFields: r.ChangedFields, RequestID: r.RequestID,
	}
	if r.AccountID != nil {
		e.Account = *r.AccountID
	}
	return e
}

var activityFilterCols = map[string]colSpec{
	"actor":       {col: entactivity.FieldActor},
	"actor_role":  {col: entactivity.FieldActorRole, kind: colEnum, prefix: "ROLE_"},
	"partner":     {col: entactivity.FieldPartnerID, prefix: "partners/"},
	"method":      {col: entactivity.FieldMethod},
	"resource":    {col: entactivity.FieldResource},
	"action":      {col: entactivity.FieldAction},
	"request_id":  {col: entactivity.FieldRequestID},
	"create_time": {col: entactivity.FieldCreateTime},
}

// ListActivities lists the log newest first (by id, which follows commit order).
func (q queries) ListActivities(ctx context.Context, p listing.Params) ([]activity.Entry, *page.Cursor, error) {
	p.Order = []orderby.Term{{Field: "id", Desc: true}}
	rows, next, err := listChildren(ctx, q.c.Activity.Query(), p, activityFilterCols,
		map[string]sortCol{"id": {col: entactivity.FieldID, kind: keyInt}},
		func(r *ent.Activity, _ string) any { return r.ID })
	if err != nil {
		return nil, nil, err
	}
	out := make([]activity.Entry, len(rows))
	for i, r := range rows {
		out[i] = toEntry(r)
	}
	return out, next, nil
}

// AccountChanges returns log entries after id `after` of accounts linked to partner
// (of every account when partner is ""), oldest first.
func (q queries) AccountChanges(ctx context.Context, partner string, after int64, limit int) ([]activity.Entry, error) {
	query := q.c.Activity.Query().Where(entactivity.IDGT(after), entactivity.AccountIDNotNil())
	if partner != "" {
		query.Where(func(s *sql.Selector) {
			t := sql.Table(accountexternalid.Table)
			s.Where(sql.In(s.C(entactivity.FieldAccountID),
				sql.Select(t.C(accountexternalid.FieldAccountID)).From(t).Where(sql.EQ(t.C(accountexternalid.FieldSystem), partner))))
		})
	}
	rows, err := query.Order(ent.Asc(entactivity.FieldID)).Limit(limit).All(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]activity.Entry, len(rows))
	for i, r := range rows {
		out[i] = toEntry(r)
	}
	return out, nil
}
