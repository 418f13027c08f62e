// Package access decides who may call the API: API keys (random, stored as hashes,
// revocable, optionally expiring), the partners that partner keys act for, and the
// authentication of a presented key.
package access

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/apikey"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/listing"
	"github.com/furrowhq/furrow/internal/page"
)

// Key is an API key. Secret is set only on the key CreateKey returns.
type Key struct {
	ID          uuid.UUID
	DisplayName string
	Role        auth.Role
	Partner     string // partner id, for PARTNER keys
	Prefix      string
	Secret      string
	Creator     string
	Person      string // who the key acts for (auth.Caller.Person), if anyone
	CreateTime  time.Time
	ExpireTime  *time.Time
	RevokeTime  *time.Time
}

// Name returns the key's resource name.
func (k *Key) Name() string { return "apiKeys/" + k.ID.String() }

// Partner is a company that syncs customer records.
type Partner struct {
	ID          string
	DisplayName string
	CreateTime  time.Time
	UpdateTime  time.Time
}

// Name returns the partner's resource name.
func (p *Partner) Name() string { return "partners/" + p.ID }

// Errors a Store returns.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

// Reader reads keys and partners.
type Reader interface {
	KeyByPrefix(ctx context.Context, prefix string) (*Key, []byte, error)
	GetKey(ctx context.Context, id uuid.UUID) (*Key, error)
	ListKeys(ctx context.Context, p listing.Params, showRevoked bool) ([]*Key, *page.Cursor, error)
	CountKeys(ctx context.Context) (int, error)
	GetPartner(ctx context.Context, id string) (*Partner, error)
	ListPartners(ctx context.Context, p listing.Params) ([]*Partner, *page.Cursor, error)
}

// Tx is a transaction.
type Tx interface {
	Reader
	// Serialize holds a lock named name until the transaction ends (no-op on SQLite).
	Serialize(ctx context.Context, name string) error
	InsertKey(ctx context.Context, k *Key, hash []byte) error
	RevokeKey(ctx context.Context, id uuid.UUID, t time.Time) error
	InsertPartner(ctx context.Context, p *Partner) error
	RecordActivity(ctx context.Context, e activity.Entry) error
}

// Store persists keys and partners.
type Store interface {
	Reader
	WithTx(ctx context.Context, fn func(tx Tx) error) error
}

// cacheTTL bounds how long a replica trusts a key it looked up: a key revoked through
// another replica stops working there within this time (at once on the same replica).
const cacheTTL = 5 * time.Second

// Service implements key and partner management and authentication.
type Service struct {
	store Store
	now   func() time.Time

	mu    sync.Mutex
	cache map[string]cached // by prefix
}

type cached struct {
	key     *Key
	hash    []byte
	fetched time.Time
}

// NewService returns a Service over store; now may be nil (time.Now).
func NewService(store Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, now: now, cache: map[string]cached{}}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func unauthenticated(msg string) error {
	return &failure.Error{Kind: failure.Unauthenticated, Msg: msg, Reason: "INVALID_API_KEY"}
}

// Authenticate returns the caller a presented key stands for.
func (s *Service) Authenticate(ctx context.Context, presented string) (auth.Caller, error) {
	if presented == "" {
		return auth.Caller{}, unauthenticated("an API key is required: send `authorization: Bearer <key>`")
	}
	k, err := apikey.Parse(presented)
	if err != nil {
		return auth.Caller{}, unauthenticated("the API key is malformed")
	}
	now := s.now()
	s.mu.Lock()
	c, ok := s.cache[k.Prefix]
	s.mu.Unlock()
	if !ok || now.Sub(c.fetched) > cacheTTL {
		key, hash, err := s.store.KeyByPrefix(ctx, k.Prefix)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return auth.Caller{}, err
		}
		// An unknown prefix is cached too, so a client retrying a bad key costs no
		// query. Prefixes are random: no real key can be created under one already
		// tried.
		c = cached{key: key, hash: hash, fetched: now}
		s.mu.Lock()
		if len(s.cache) > 10000 {
			clear(s.cache) // bounded: a flood of unknown prefixes cannot grow it
		}
		s.cache[k.Prefix] = c
		s.mu.Unlock()
	}
	if c.key == nil || !apikey.Verify(k, c.hash) {
		return auth.Caller{}, unauthenticated("the API key is not valid")
	}
	switch {
	case c.key.RevokeTime != nil:
		return auth.Caller{}, unauthenticated(fmt.Sprintf("the API key fw_%s… was revoked", c.key.Prefix))
	case c.key.ExpireTime != nil && !now.Before(*c.key.ExpireTime):
		return auth.Caller{}, unauthenticated(fmt.Sprintf("the API key fw_%s… expired at %s", c.key.Prefix, c.key.ExpireTime.Format(time.RFC3339)))
	}
	return auth.Caller{Name: c.key.Name(), Role: c.key.Role, Partner: c.key.Partner, Person: c.key.Person}, nil
}

// CreateKey creates a key and returns it with its secret.
func (s *Service) CreateKey(ctx context.Context, in Key) (*Key, error) {
	return s.createKey(ctx, in, "", auth.CallerFrom(ctx).Name)
}

func (s *Service) createKey(ctx context.Context, in Key, preset, creator string) (*Key, error) {
	k, secret, err := s.newKey(in, preset, creator)
	if err != nil {
		return nil, err
	}
	err = s.store.WithTx(ctx, func(tx Tx) error {
		if k.Partner != "" {
			if _, err := tx.GetPartner(ctx, k.Partner); errors.Is(err, ErrNotFound) {
				return failure.InvalidFields([]failure.Violation{{Field: "api_key.partner", Description: fmt.Sprintf("partner %q does not exist", "partners/"+k.Partner)}})
			} else if err != nil {
				return err
			}
		}
		if err := tx.InsertKey(ctx, &k, secret.Hash()); err != nil {
			return err
		}
		return tx.RecordActivity(ctx, activity.New(ctx, k.CreateTime, k.Name(), "create", uuid.Nil, nil))
	})
	if err != nil {
		return nil, err
	}
	if preset == "" {
		k.Secret = secret.String()
	}
	return &k, nil
}

// newKey checks in and makes the key and its secret (preset, or new).
func (s *Service) newKey(in Key, preset, creator string) (Key, apikey.Key, error) {
	k := in
	k.DisplayName = strings.TrimSpace(k.DisplayName)
	k.Person = strings.TrimSpace(k.Person)
	var vs []failure.Violation
	if k.DisplayName == "" {
		vs = append(vs, failure.Violation{Field: "api_key.display_name", Description: "display_name is required"})
	}
	if !slices.Contains(auth.Roles, k.Role) {
		vs = append(vs, failure.Violation{Field: "api_key.role", Description: "role is required: ADMIN, MEMBER, VIEWER or PARTNER"})
	}
	if k.Role == auth.Partner && k.Partner == "" {
		vs = append(vs, failure.Violation{Field: "api_key.partner", Description: "a ROLE_PARTNER key needs the partner it acts for"})
	}
	if k.Role != auth.Partner && k.Partner != "" {
		vs = append(vs, failure.Violation{Field: "api_key.partner", Description: "only ROLE_PARTNER keys act for a partner"})
	}
	if len(k.Person) > 200 || strings.ContainsFunc(k.Person, unicode.IsControl) {
		vs = append(vs, failure.Violation{Field: "api_key.person", Description: "person is at most 200 characters, on one line"})
	}
	now := s.clock()
	if k.ExpireTime != nil && !k.ExpireTime.After(now) {
		vs = append(vs, failure.Violation{Field: "api_key.expire_time", Description: "expire_time must be in the future"})
	}
	if err := failure.InvalidFields(vs); err != nil {
		return Key{}, apikey.Key{}, err
	}
	var secret apikey.Key
	var err error
	if preset != "" {
		if secret, err = apikey.Parse(preset); err != nil {
			return Key{}, apikey.Key{}, fmt.Errorf("bootstrap key (FURROW_BOOTSTRAP_KEY): %w", err)
		}
	} else if secret, err = apikey.New(); err != nil {
		return Key{}, apikey.Key{}, err
	}
	k.ID, k.Prefix, k.Creator, k.CreateTime, k.RevokeTime = uuid.Must(uuid.NewV7()), secret.Prefix, creator, now, nil
	return k, secret, nil
}

// GetKey returns a key (without its secret).
func (s *Service) GetKey(ctx context.Context, id uuid.UUID) (*Key, error) {
	k, err := s.store.GetKey(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, failure.Newf(failure.NotFound, "API key %q not found", "apiKeys/"+id.String())
	}
	return k, err
}

// ListKeys lists keys, newest first.
func (s *Service) ListKeys(ctx context.Context, size int32, token string, showRevoked bool) (*listing.Page[*Key], error) {
	p, fp, err := listing.Parse(listing.Request{PageSize: size, PageToken: token, ShowDeleted: showRevoked}, nil, nil, nil, "apiKeys")
	if err != nil {
		return nil, err
	}
	items, next, err := s.store.ListKeys(ctx, p, showRevoked)
	return listing.Finish(items, next, fp, err)
}

// RevokeKey revokes a key; revoking a revoked key changes nothing.
func (s *Service) RevokeKey(ctx context.Context, id uuid.UUID) (*Key, error) {
	var out *Key
	err := s.store.WithTx(ctx, func(tx Tx) error {
		k, err := tx.GetKey(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return failure.Newf(failure.NotFound, "API key %q not found", "apiKeys/"+id.String())
		}
		if err != nil {
			return err
		}
		out = k
		if k.RevokeTime != nil {
			return nil
		}
		now := s.clock()
		if err := tx.RevokeKey(ctx, id, now); err != nil {
			return err
		}
		k.RevokeTime = &now
		return tx.RecordActivity(ctx, activity.New(ctx, now, k.Name(), "revoke", uuid.Nil, nil))
	})
	if err == nil {
		s.mu.Lock()
		delete(s.cache, out.Prefix)
		s.mu.Unlock()
	}
	return out, err
}

// CreatePartner creates a partner.
func (s *Service) CreatePartner(ctx context.Context, id, displayName string) (*Partner, error) {
	displayName = strings.TrimSpace(displayName)
	if displayName == "" {
		return nil, failure.InvalidFields([]failure.Violation{{Field: "partner.display_name", Description: "display_name is required"}})
	}
	now := s.clock()
	p := &Partner{ID: id, DisplayName: displayName, CreateTime: now, UpdateTime: now}
	err := s.store.WithTx(ctx, func(tx Tx) error {
		if err := tx.InsertPartner(ctx, p); err != nil {
			return err
		}
		return tx.RecordActivity(ctx, activity.New(ctx, now, p.Name(), "create", uuid.Nil, nil))
	})
	if errors.Is(err, ErrExists) {
		return nil, failure.Newf(failure.AlreadyExists, "partner %q already exists", p.Name()).WithResource(p.Name())
	}
	return p, err
}

// GetPartner returns a partner.
func (s *Service) GetPartner(ctx context.Context, id string) (*Partner, error) {
	p, err := s.store.GetPartner(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, failure.Newf(failure.NotFound, "partner %q not found", "partners/"+id)
	}
	return p, err
}

// ListPartners lists partners by id.
func (s *Service) ListPartners(ctx context.Context, size int32, token string) (*listing.Page[*Partner], error) {
	p, fp, err := listing.Parse(listing.Request{PageSize: size, PageToken: token}, nil, nil, nil, "partners")
	if err != nil {
		return nil, err
	}
	items, next, err := s.store.ListPartners(ctx, p)
	return listing.Finish(items, next, fp, err)
}

// Bootstrap makes the first admin key when there is none, so a new installation can be
// used at once. With preset (FURROW_BOOTSTRAP_KEY) that key is registered; otherwise a
// new one is made and returned, to be shown once. It returns "" when keys exist.
func (s *Service) Bootstrap(ctx context.Context, preset string) (string, error) {
	if n, err := s.store.CountKeys(ctx); err != nil || n > 0 {
		return "", err
	}
	ctx = auth.WithCaller(ctx, auth.Caller{Name: "bootstrap", Role: auth.Admin})
	k, secret, err := s.newKey(Key{DisplayName: "bootstrap admin", Role: auth.Admin}, preset, "bootstrap")
	if err != nil {
		return "", err
	}
	made := false
	err = s.store.WithTx(ctx, func(tx Tx) error {
		// Replicas starting together on an empty database must not each make one.
		if err := tx.Serialize(ctx, "furrow.bootstrap"); err != nil {
			return err
		}
		if n, err := tx.CountKeys(ctx); err != nil || n > 0 {
			return err
		}
		made = true
		if err := tx.InsertKey(ctx, &k, secret.Hash()); err != nil {
			return err
		}
		return tx.RecordActivity(ctx, activity.New(ctx, k.CreateTime, k.Name(), "create", uuid.Nil, nil))
	})
	if err != nil || !made || preset != "" {
		return "", err
	}
	return secret.String(), nil
}

// CreateKeyCLI creates a key for `furrow keys create`, recorded as made by the CLI.
func (s *Service) CreateKeyCLI(ctx context.Context, in Key) (*Key, error) {
	ctx = auth.WithCaller(ctx, auth.Caller{Name: "cli", Role: auth.Admin})
	return s.createKey(ctx, in, "", "cli")
}
