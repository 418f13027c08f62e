// Package app wires Furrow together: database → store → domain services → gRPC
// handlers → server. `furrow serve` and the end-to-end tests both start the API here,
// so the tests exercise exactly what runs in production.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/access"
	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/analytics"
	"github.com/furrowhq/furrow/internal/audit"
	"github.com/furrowhq/furrow/internal/cases"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/health"
	"github.com/furrowhq/furrow/internal/ratelimit"
	"github.com/furrowhq/furrow/internal/retention"
	"github.com/furrowhq/furrow/internal/rpc"
	"github.com/furrowhq/furrow/internal/server"
	"github.com/furrowhq/furrow/internal/store"
	"github.com/furrowhq/furrow/internal/survey"
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
	// HealthDebounce is how long after a change an account is rescored (default 30s).
	HealthDebounce time.Duration
	// WorkerInterval is how often background work runs; 0 runs none on this server.
	WorkerInterval time.Duration
	// HealthRecomputeEvery queues a recompute of every account this often (0: never).
	HealthRecomputeEvery time.Duration
	// RetentionSweepEvery re-evaluates every account's retention label this often (0:
	// never; changes are still followed).
	RetentionSweepEvery time.Duration
	// SurveyContactDays and SurveyAccountDays throttle surveys: a contact is not asked
	// again within SurveyContactDays (default 30), nor any contact of an account within
	// SurveyAccountDays (default 7).
	SurveyContactDays, SurveyAccountDays int
}

// App is a server ready to Serve.
type App struct {
	*server.Server
	// NewAdminKey is the admin key made because the database had none (and no
	// BootstrapKey was given): show it once.
	NewAdminKey string
	// Health is the health service, for tools and tests that drive its background work.
	Health *health.Service
	// Retention is the retention service, likewise.
	Retention *retention.Service

	cases    *cases.Service
	interval time.Duration
}

// recomputeBatch is how many accounts a recompute transaction scores. On PostgreSQL
// larger batches spread each statement's fixed cost over more accounts (a first
// recompute of 100,000 accounts: 2.3 s in batches of 1,000, 1.9–2.0 s of 4,000, 2.2 s
// of 8,000, where two batches in flight leave a core idle longer at the end). SQLite
// has one writer, and a batch holds it: smaller batches let the API's writes in. (It
// also bounds how many accounts due for a debounced rescore one transaction claims.)
func recomputeBatch(d string) int {
	if d == dialect.Postgres {
		return 4000
	}
	return 1000
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
	labels := retention.NewService(st, retention.Options{SweepEvery: opts.RetentionSweepEvery})
	if err := labels.EnsureDefault(ctx); err != nil {
		return nil, fmt.Errorf("default retention policy: %w", err)
	}
	log := opts.Server.Logger
	if log == nil {
		log = slog.Default()
	}
	scores := health.NewService(st, health.Options{Debounce: opts.HealthDebounce, RecomputeEvery: opts.HealthRecomputeEvery,
		BatchSize: recomputeBatch(db.Dialect),
		// Retention rules read grades: a changed grade re-evaluates the label at once
		// (the periodic sweep catches anything this misses).
		OnGradeChange: func(ctx context.Context, ids []uuid.UUID) {
			if err := labels.Touch(ctx, ids); err != nil && ctx.Err() == nil {
				log.ErrorContext(ctx, "retention: evaluating accounts whose health grade changed", "err", err)
			}
		}})
	if err := scores.EnsureDefault(ctx); err != nil {
		return nil, fmt.Errorf("default scorecard: %w", err)
	}
	audits := audit.NewService(st, nil)
	if err := audits.EnsureDefaults(ctx); err != nil {
		return nil, fmt.Errorf("default audit settings: %w", err)
	}
	surveys := survey.NewService(st, survey.Options{ContactDays: opts.SurveyContactDays, AccountDays: opts.SurveyAccountDays,
		// A detractor answer or a complaint opens (or joins) an audit case in the
		// transaction that stores it: linked, once, even when the response is resent.
		Warn: func(ctx context.Context, tx survey.Tx, r *survey.Response) error {
			source := "SURVEY_DETRACTOR"
			if r.Kind == survey.KindComplaint {
				source = "COMPLAINT"
			}
			desc := fmt.Sprintf("%s from %s", strings.ToLower(r.Kind), account.ContactName(r.Account, r.Contact))
			if r.Score != nil {
				desc = fmt.Sprintf("NPS %d from %s", *r.Score, account.ContactName(r.Account, r.Contact))
			}
			if r.Comment != "" {
				desc += ": " + r.Comment
			}
			atx, ok := tx.(audit.Tx) // one store: its transactions serve both services
			if !ok {
				return fmt.Errorf("survey transaction %T cannot open audit cases", tx)
			}
			_, _, err := audits.WarnTx(ctx, atx, r.Account, source, survey.ResponseName(r.Account, r.ID), desc)
			return err
		}})
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
	library := cases.NewService(st, cases.Options{})
	srv, err := server.New(ctx, cfg, server.Services{
		Accounts:   rpc.NewAccountServer(accounts),
		Access:     rpc.NewAccessServer(keys),
		Activities: rpc.NewActivityServer(activity.NewService(st)),
		Sync:       syncServer,
		Health:     rpc.NewHealthServer(scores),
		// NPS reads the survey responses (null when a period has none).
		Analytics: rpc.NewAnalyticsServer(analytics.NewService(st.Analytics(), analytics.Options{Surveys: st.SurveyNPS()})),
		Retention: rpc.NewRetentionServer(labels),
		Surveys:   rpc.NewSurveyServer(surveys),
		Audits:    rpc.NewAuditServer(audits),
		Cases:     rpc.NewCaseServer(library),
	})
	if err != nil {
		return nil, err
	}
	return &App{Server: srv, NewAdminKey: made, Health: scores, Retention: labels, cases: library, interval: opts.WorkerInterval}, nil
}

// Serve serves the API and runs the background work until ctx is cancelled.
func (a *App) Serve(ctx context.Context) error {
	var wg sync.WaitGroup
	workCtx, stop := context.WithCancel(ctx)
	if a.interval > 0 {
		host, _ := os.Hostname()
		owner := fmt.Sprintf("%s/%d/%s", host, os.Getpid(), uuid.NewString()[:8])
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.Health.Work(workCtx, owner, a.interval, a.Logger())
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.Retention.Work(workCtx, a.interval, a.Logger())
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.cases.Work(workCtx, a.interval, a.Logger())
		}()
	}
	err := a.Server.Serve(ctx)
	stop()
	wg.Wait()
	return err
}
