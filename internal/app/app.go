// Package app wires Furrow together: database → store → domain services → gRPC
// handlers → server. `furrow serve` and the end-to-end tests both start the API here,
// so the tests exercise exactly what runs in production.
package app

import (
	"context"

	"github.com/furrowhq/furrow/internal/access"
	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/ratelimit"
	"github.com/furrowhq/furrow/internal/rpc"
	"github.com/furrowhq/furrow/internal/server"
	"github.com/furrowhq/furrow/internal/store"
)

// Options configure the API.
type Options struct {
	Server server.Config
	// BootstrapKey, if set, becomes the admin key of an installation that has none.
	BootstrapKey string
	// RateLimit is each key's sustained requests per second (0: unlimited), with bursts
	// of RateBurst.
	RateLimit float64
	RateBurst int
}

// App is a server ready to Serve.
type App struct {
	*server.Server
	// NewAdminKey is the admin key made because the database had none (and no
	// BootstrapKey was given): show it once.
	NewAdminKey string
}

// New builds the API over db (already migrated) and listens on the configured
// addresses.
func New(ctx context.Context, db *database.DB, opts Options) (*App, error) {
	st := store.New(db)
	keys := access.NewService(st.Access(), nil)
	made, err := keys.Bootstrap(ctx, opts.BootstrapKey)
	if err != nil {
		return nil, err
	}
	accounts := account.NewService(st, nil)
	cfg := opts.Server
	if cfg.Ready == nil {
		cfg.Ready = func(ctx context.Context) error { return db.PingContext(ctx) }
	}
	cfg.Authenticate = keys.Authenticate
	if opts.RateLimit > 0 {
		cfg.Limiter = ratelimit.New(opts.RateLimit, max(opts.RateBurst, 1), nil)
	}
	syncServer, err := rpc.NewSyncServer(accounts)
	if err != nil {
		return nil, err
	}
	srv, err := server.New(ctx, cfg, server.Services{
		Accounts:   rpc.NewAccountServer(accounts),
		Access:     rpc.NewAccessServer(keys),
		Activities: rpc.NewActivityServer(activity.NewService(st)),
		Sync:       syncServer,
	})
	if err != nil {
		return nil, err
	}
	return &App{Server: srv, NewAdminKey: made}, nil
}
