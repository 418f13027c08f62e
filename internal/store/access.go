package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/ent"
	"github.com/furrowhq/furrow/ent/apikey"
	"github.com/furrowhq/furrow/ent/partner"
	"github.com/furrowhq/furrow/internal/access"
	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/listing"
	"github.com/furrowhq/furrow/internal/orderby"
	"github.com/furrowhq/furrow/internal/page"
)

// AccessStore is the store of keys and partners (access.Store).
type AccessStore struct {
	accessQueries
	store *Store
}

type accessQueries struct{ queries }

// Access returns the store of keys and partners, over the same database.
func (s *Store) Access() *AccessStore {
	return &AccessStore{accessQueries: accessQueries{s.queries}, store: s}
}

var _ access.Store = (*AccessStore)(nil)

// WithTx runs fn in a transaction.
func (s *AccessStore) WithTx(ctx context.Context, fn func(tx access.Tx) error) error {
	return s.store.withTx(ctx, func(q queries) error { return fn(accessTx{accessQueries{q}}) })
}

type accessTx struct{ accessQueries }

// accessErr maps store errors to the access package's.
func accessErr(err error) error {
	switch {
	case err == nil:
		return nil
	case ent.IsNotFound(err):
		return fmt.Errorf("%w: %v", access.ErrNotFound, err)
	case ent.IsConstraintError(err):
		return fmt.Errorf("%w: %v", access.ErrExists, err)
	}
	return mapErr(err)
}

func toKey(r *ent.ApiKey) *access.Key {
	return &access.Key{
		ID: r.ID, DisplayName: r.DisplayName, Role: auth.Role(r.Role), Partner: r.PartnerID, Prefix: r.Prefix,
		Creator: r.Creator, Person: r.Person, CreateTime: r.CreateTime.UTC(), ExpireTime: utcPtr(r.ExpireTime), RevokeTime: utcPtr(r.RevokeTime),
	}
}

func (q accessQueries) KeyByPrefix(ctx context.Context, prefix string) (*access.Key, []byte, error) {
	r, err := q.c.ApiKey.Query().Where(apikey.Prefix(prefix)).Only(ctx)
	if err != nil {
		return nil, nil, accessErr(err)
	}
	return toKey(r), r.Hash, nil
}

func (q accessQueries) GetKey(ctx context.Context, id uuid.UUID) (*access.Key, error) {
	r, err := q.c.ApiKey.Get(ctx, id)
	if err != nil {
		return nil, accessErr(err)
	}
	return toKey(r), nil
}

func (q accessQueries) ListKeys(ctx context.Context, p listing.Params, showRevoked bool) ([]*access.Key, *page.Cursor, error) {
	p.Order = []orderby.Term{{Field: "create_time", Desc: true}}
	query := q.c.ApiKey.Query()
	if !showRevoked {
		query.Where(apikey.RevokeTimeIsNil())
	}
	rows, next, err := listChildren(ctx, query, p, nil, map[string]sortCol{"create_time": {col: apikey.FieldCreateTime, kind: keyTime}},
		func(r *ent.ApiKey, col string) any {
			if col == apikey.FieldCreateTime {
				return r.CreateTime
			}
			return r.ID
		})
	if err != nil {
		return nil, nil, err
	}
	out := make([]*access.Key, len(rows))
	for i, r := range rows {
		out[i] = toKey(r)
	}
	return out, next, nil
}

func (q accessQueries) CountKeys(ctx context.Context) (int, error) {
	n, err := q.c.ApiKey.Query().Count(ctx)
	return n, accessErr(err)
}

func toPartner(r *ent.Partner) *access.Partner {
	return &access.Partner{ID: r.ID, DisplayName: r.DisplayName, CreateTime: r.CreateTime.UTC(), UpdateTime: r.UpdateTime.UTC()}
}

func (q accessQueries) GetPartner(ctx context.Context, id string) (*access.Partner, error) {
	r, err := q.c.Partner.Get(ctx, id)
	if err != nil {
		return nil, accessErr(err)
	}
	return toPartner(r), nil
}

func (q accessQueries) ListPartners(ctx context.Context, p listing.Params) ([]*access.Partner, *page.Cursor, error) {
	p.Order = []orderby.Term{{Field: "id"}}
	rows, next, err := listChildren(ctx, q.c.Partner.Query(), p, nil, map[string]sortCol{"id": {col: partner.FieldID, kind: keyString}},
		func(r *ent.Partner, _ string) any { return r.ID })
	if err != nil {
		return nil, nil, err
	}
	out := make([]*access.Partner, len(rows))
	for i, r := range rows {
		out[i] = toPartner(r)
	}
	return out, next, nil
}

func (q accessTx) Serialize(ctx context.Context, name string) error {
	if !q.postgres() {
		return nil
	}
	_, err := q.c.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", name)
	return mapErr(err)
}

func (q accessTx) InsertKey(ctx context.Context, k *access.Key, hash []byte) error {
	c := q.c.ApiKey.Create().SetID(k.ID).SetDisplayName(k.DisplayName).SetRole(string(k.Role)).SetPartnerID(k.Partner).
		SetPrefix(k.Prefix).SetHash(hash).SetCreator(k.Creator).SetPerson(k.Person).SetCreateTime(k.CreateTime).SetNillableExpireTime(k.ExpireTime)
	return accessErr(c.Exec(ctx))
}

func (q accessTx) RevokeKey(ctx context.Context, id uuid.UUID, t time.Time) error {
	return accessErr(q.c.ApiKey.UpdateOneID(id).SetRevokeTime(t).Exec(ctx))
}

func (q accessTx) InsertPartner(ctx context.Context, p *access.Partner) error {
	return accessErr(q.c.Partner.Create().SetID(p.ID).SetDisplayName(p.DisplayName).SetCreateTime(p.CreateTime).SetUpdateTime(p.UpdateTime).Exec(ctx))
}

func (q accessTx) RecordActivity(ctx context.Context, e activity.Entry) error {
	return txQueries{q.queries}.RecordActivity(ctx, e)
}
