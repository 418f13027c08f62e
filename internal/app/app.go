// Package app wires Furrow together: database → store → domain services → gRPC
// handlers → server. `furrow serve` and the end-to-end tests both start the API here,
// so the tests exercise exactly what runs in production.
package app

import (
	"context"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/rpc"
	"github.com/furrowhq/furrow/internal/server"
	"github.com/furrowhq/furrow/internal/store"
)

// NewServer builds the API server over db (already migrated) and listens on the
// configured addresses; Serve on the result runs it.
func NewServer(ctx context.Context, db *database.DB, cfg server.Config) (*server.Server, error) {
	if cfg.Ready == nil {
		cfg.Ready = func(ctx context.Context) error { return db.PingContext(ctx) }
	}
	accounts := account.NewService(store.New(db), nil)
	return server.New(ctx, cfg, server.Services{
		Accounts: rpc.NewAccountServer(accounts),
	})
}
