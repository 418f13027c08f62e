// Command furrow is the Furrow server and its admin tools.
//
//	furrow serve     run the gRPC and REST API
//	furrow migrate   apply pending database migrations
//	furrow seed      load a demo dataset
//	furrow version   print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/furrowhq/furrow/internal/access"
	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/app"
	"github.com/furrowhq/furrow/internal/audit"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/cases"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/health"
	"github.com/furrowhq/furrow/internal/requestid"
	"github.com/furrowhq/furrow/internal/retention"
	"github.com/furrowhq/furrow/internal/seed"
	"github.com/furrowhq/furrow/internal/server"
	"github.com/furrowhq/furrow/internal/store"
	"github.com/furrowhq/furrow/internal/survey"
)

const usage = `usage: furrow <command> [flags]

commands:
  serve     run the gRPC (default :9090) and REST (default :8080) API
  migrate   apply pending database migrations and exit
  seed      load a realistic demo dataset (a few hundred accounts)
  keys      manage API keys: keys create|list|revoke
  version   print the version

Run 'furrow <command> -h' for the flags of a command. The database, log and server
flags have environment fallbacks (FURROW_<FLAG>, e.g. FURROW_DATABASE_URL).
`

func main() {
	// SIGTERM is what orchestrators send; SIGINT is Ctrl-C. (SIGKILL cannot be caught.)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal, a second one kills the process at once.
		<-ctx.Done()
		stop()
	}()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "furrow:", err)
		os.Exit(1)
	}
}

// config is the parsed configuration, passed down as values.
type config struct {
	grpcAddr, httpAddr string
	databaseURL        string
	migrate            bool
	logFormat          string
	logLevel           string
	shutdownTimeout    time.Duration
	seedAccounts       int
	seedRandom         int64
	rateLimit          float64
	rateBurst          int
	healthDebounce     time.Duration
	healthRecompute    time.Duration
	retentionSweep     time.Duration
	surveyContactDays  int
	surveyAccountDays  int
	workerInterval     time.Duration
	bootstrapKey       string
	keyName, keyRole   string
	keyPerson          string
	keyPartner         string
	keyExpires         time.Duration
	showRevoked        bool
	keyAction          string
	keyTarget          string
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// envBool reads a boolean environment variable; a value it cannot read is an error,
// not silently the default.
func envBool(name string, def bool) (bool, error) {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def, nil
	}
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return def, fmt.Errorf("%s=%q: want true or false", name, v)
}

func envDuration(name string, def time.Duration) (time.Duration, error) {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return def, fmt.Errorf("%s=%q: want a positive duration such as 15s", name, v)
	}
	return d, nil
}

func parse(cmd string, args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("furrow "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.StringVar(&c.databaseURL, "database-url", env("FURROW_DATABASE_URL", database.DefaultURL),
		"database: sqlite:PATH (embedded, the default) or postgres://user@host:5432/db?sslmode=disable [FURROW_DATABASE_URL]")
	fs.StringVar(&c.logFormat, "log-format", env("FURROW_LOG_FORMAT", "text"), "log format: text or json [FURROW_LOG_FORMAT]")
	fs.StringVar(&c.logLevel, "log-level", env("FURROW_LOG_LEVEL", "info"), "log level: debug, info, warn, error [FURROW_LOG_LEVEL]")
	if cmd == "serve" {
		migrate, err := envBool("FURROW_MIGRATE", true)
		if err != nil {
			return c, err
		}
		timeout, err := envDuration("FURROW_SHUTDOWN_TIMEOUT", 15*time.Second)
		if err != nil {
			return c, err
		}
		fs.StringVar(&c.grpcAddr, "grpc-addr", env("FURROW_GRPC_ADDR", ":9090"), "gRPC listen address [FURROW_GRPC_ADDR]")
		fs.StringVar(&c.httpAddr, "http-addr", env("FURROW_HTTP_ADDR", ":8080"), "REST/JSON listen address [FURROW_HTTP_ADDR]")
		fs.BoolVar(&c.migrate, "migrate", migrate, "apply pending migrations at start [FURROW_MIGRATE]")
		fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", timeout,
			"how long in-flight requests may finish after SIGTERM [FURROW_SHUTDOWN_TIMEOUT]")
		rate, err := envFloat("FURROW_RATE_LIMIT", 100)
		if err != nil {
			return c, err
		}
		burst, err := envInt("FURROW_RATE_BURST", 200)
		if err != nil {
			return c, err
		}
		fs.Float64Var(&c.rateLimit, "rate-limit", rate, "requests per second each API key may make, per server; 0 for no limit [FURROW_RATE_LIMIT]")
		fs.IntVar(&c.rateBurst, "rate-burst", burst, "requests an API key may burst above its rate [FURROW_RATE_BURST]")
		debounce, err := envDuration("FURROW_HEALTH_DEBOUNCE", 30*time.Second)
		if err != nil {
			return c, err
		}
		interval, err := envDuration("FURROW_WORKER_INTERVAL", 5*time.Second)
		if err != nil {
			return c, err
		}
		every, err := envDuration("FURROW_HEALTH_RECOMPUTE_EVERY", 24*time.Hour)
		if err != nil {
			return c, err
		}
		sweep, err := envDuration("FURROW_RETENTION_SWEEP_EVERY", time.Hour)
		if err != nil {
			return c, err
		}
		contactDays, err := envInt("FURROW_SURVEY_CONTACT_DAYS", 30)
		if err != nil {
			return c, err
		}
		accountDays, err := envInt("FURROW_SURVEY_ACCOUNT_DAYS", 7)
		if err != nil {
			return c, err
		}
		fs.IntVar(&c.surveyContactDays, "survey-contact-days", contactDays,
			"days after a contact was surveyed (asked or answered) before it may be asked again [FURROW_SURVEY_CONTACT_DAYS]")
		fs.IntVar(&c.surveyAccountDays, "survey-account-days", accountDays,
			"days after any contact of an account was surveyed before another of its contacts may be asked [FURROW_SURVEY_ACCOUNT_DAYS]")
		fs.DurationVar(&c.retentionSweep, "retention-sweep-every", sweep,
			"how often every account's retention label is re-evaluated, so time-based rules fire; 0 never [FURROW_RETENTION_SWEEP_EVERY]")
		fs.DurationVar(&c.healthRecompute, "health-recompute-every", every,
			"how often every account's health is recomputed, so time windows move; 0 never [FURROW_HEALTH_RECOMPUTE_EVERY]")
		fs.DurationVar(&c.healthDebounce, "health-debounce", debounce,
			"how long after a change (signals, contacts, deals, interactions) an account's health is rescored [FURROW_HEALTH_DEBOUNCE]")
		fs.DurationVar(&c.workerInterval, "worker-interval", interval,
			"how often background work (debounced rescoring, recompute jobs, expired overrides, retention labels) runs; 0 disables it on this server [FURROW_WORKER_INTERVAL]")
		// A secret belongs in the environment, not on a command line others can read.
		c.bootstrapKey = os.Getenv("FURROW_BOOTSTRAP_KEY")
	}
	if cmd == "keys" {
		fs.StringVar(&c.keyName, "name", "", "create: what the key is for")
		fs.StringVar(&c.keyRole, "role", "", "create: admin, member, viewer or partner")
		fs.StringVar(&c.keyPartner, "partner", "", "create: the partner id a partner key acts for")
		fs.StringVar(&c.keyPerson, "person", "", "create: the person the key acts for (as account owners are named, e.g. alice@example.com)")
		fs.DurationVar(&c.keyExpires, "expires-in", 0, "create: the key expires after this long (e.g. 720h); 0 never")
		fs.BoolVar(&c.showRevoked, "all", false, "list: include revoked keys")
	}
	if cmd == "seed" {
		fs.IntVar(&c.seedAccounts, "accounts", 300, "how many accounts to create")
		fs.Int64Var(&c.seedRandom, "random-seed", 1, "random seed; the same seed makes the same dataset")
	}
	if cmd == "keys" {
		// furrow keys <action> [flags] [name]
		if len(args) == 0 {
			return c, errors.New("keys: want create, list or revoke")
		}
		c.keyAction, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if cmd == "keys" && c.keyAction == "revoke" && fs.NArg() == 1 {
		c.keyTarget = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if cmd == "serve" && c.shutdownTimeout <= 0 {
		return c, fmt.Errorf("--shutdown-timeout %s: want a positive duration", c.shutdownTimeout)
	}
	if cmd == "seed" && c.seedAccounts <= 0 {
		return c, fmt.Errorf("--accounts %d: want at least 1", c.seedAccounts)
	}
	return c, nil
}

func newLogger(c config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", c.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.logFormat {
	case "text":
		return slog.New(requestid.NewLogHandler(slog.NewTextHandler(w, opts))), nil
	case "json":
		return slog.New(requestid.NewLogHandler(slog.NewJSONHandler(w, opts))), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", c.logFormat)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "furrow", version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "serve", "migrate", "seed", "keys":
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
	c, err := parse(cmd, rest, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log, err := newLogger(c, stderr)
	if err != nil {
		return err
	}
	slog.SetDefault(log)
	if cmd == "keys" {
		// Keys belong to an existing installation: a mistyped path must not quietly
		// make a new, empty database.
		if path, ok := strings.CutPrefix(c.databaseURL, "sqlite:"); ok {
			if _, err := os.Stat(strings.SplitN(path, "?", 2)[0]); err != nil {
				return fmt.Errorf("keys: no database at %s (start the server once, or check --database-url)", path)
			}
		}
	}
	db, err := database.Open(ctx, c.databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()

	switch cmd {
	case "migrate":
		n, err := db.Migrate(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "applied %d migration(s)\n", n)
		return nil
	case "seed":
		if err := migrateOrCheck(ctx, db, true, log); err != nil {
			return err
		}
		s := store.New(db)
		st, err := seed.Run(ctx, account.NewService(s, nil), health.NewService(s, health.Options{}),
			seed.Options{Accounts: c.seedAccounts, Seed: c.seedRandom, Retention: retention.NewService(s, retention.Options{}),
				Surveys: survey.NewService(s, survey.Options{}), Audits: audit.NewService(s, nil), Cases: cases.NewService(s, cases.Options{})})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "seeded %d accounts (%d already there), %d contacts, %d deals, %d interactions, %d claims, %d transfers, %d signals\n",
			st.Accounts, st.Skipped, st.Contacts, st.Deals, st.Interactions, st.Claims, st.Transfers, st.Signals)
		fmt.Fprintf(stdout, "health grades of the seeded accounts: %d green, %d yellow, %d red\n", st.Green, st.Yellow, st.Red)
		fmt.Fprintf(stdout, "%d survey responses, %d audit cases (%d green channel, %d closed), %d best-practice cases (%d published)\n",
			st.Responses, st.AuditCases, st.GreenChannel, st.ClosedAudits, st.Cases, st.PublishedCases)
		fmt.Fprintf(stdout, "retention labels of the seeded accounts: %d newly signed, %d in use, %d expansion, %d at risk, %d churned, %d not customers\n",
			st.Labels[retention.NewlySigned], st.Labels[retention.InUse], st.Labels[retention.Expansion], st.Labels[retention.AtRisk],
			st.Labels[retention.Churned], st.Labels[""])
		return nil
	case "keys":
		if err := migrateOrCheck(ctx, db, true, log); err != nil {
			return err
		}
		return keys(ctx, c, access.NewService(store.New(db).Access(), nil), stdout)
	}
	return serve(ctx, c, db, log, stderr)
}

// migrateOrCheck applies pending migrations, or with apply=false refuses to start on an
// out-of-date schema.
func migrateOrCheck(ctx context.Context, db *database.DB, apply bool, log *slog.Logger) error {
	if apply {
		n, err := db.Migrate(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			log.Info("applied migrations", "count", n)
		}
		return nil
	}
	n, err := db.Pending(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("the database has %d pending migration(s): run 'furrow migrate' or start with --migrate", n)
	}
	return nil
}

func serve(ctx context.Context, c config, db *database.DB, log *slog.Logger, stderr io.Writer) error {
	log.Info("runtime", "gogc", app.TuneRuntime())
	if err := migrateOrCheck(ctx, db, c.migrate, log); err != nil {
		return err
	}
	a, err := app.New(ctx, db, app.Options{
		Server:       server.Config{GRPCAddr: c.grpcAddr, HTTPAddr: c.httpAddr, Logger: log, ShutdownTimeout: c.shutdownTimeout},
		BootstrapKey: c.bootstrapKey, RateLimit: c.rateLimit, RateBurst: c.rateBurst,
		HealthDebounce: c.healthDebounce, WorkerInterval: c.workerInterval, HealthRecomputeEvery: c.healthRecompute,
		RetentionSweepEvery: c.retentionSweep, SurveyContactDays: c.surveyContactDays, SurveyAccountDays: c.surveyAccountDays,
	})
	if err != nil {
		return err
	}
	if a.NewAdminKey != "" {
		// Shown once: only its hash is stored.
		fmt.Fprintf(stderr, "\nThis database had no API key, so an admin key was created. It is shown only now:\n\n    %s\n\n"+
			"Send it as `authorization: Bearer <key>`; create other keys with it (AccessService) or `furrow keys create`.\n\n", a.NewAdminKey)
	}
	return a.Serve(ctx)
}

// keys runs `furrow keys create|list|revoke`.
func keys(ctx context.Context, c config, svc *access.Service, out io.Writer) error {
	switch c.keyAction {
	case "create":
		k := access.Key{DisplayName: c.keyName, Role: auth.Role(strings.TrimPrefix(strings.ToUpper(c.keyRole), "ROLE_")),
			Partner: strings.TrimPrefix(c.keyPartner, "partners/"), Person: c.keyPerson}
		if c.keyExpires > 0 {
			t := time.Now().Add(c.keyExpires).UTC()
			k.ExpireTime = &t
		}
		made, err := svc.CreateKeyCLI(ctx, k)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "created %s (%s, fw_%s…). The key is shown only now:\n%s\n", made.Name(), made.Role, made.Prefix, made.Secret)
		return nil
	case "list":
		token := ""
		for {
			p, err := svc.ListKeys(ctx, 1000, token, c.showRevoked)
			if err != nil {
				return err
			}
			for _, k := range p.Items {
				state := "active"
				switch {
				case k.RevokeTime != nil:
					state = "revoked " + k.RevokeTime.Format(time.RFC3339)
				case k.ExpireTime != nil && !k.ExpireTime.After(time.Now()):
					state = "expired " + k.ExpireTime.Format(time.RFC3339)
				case k.ExpireTime != nil:
					state = "expires " + k.ExpireTime.Format(time.RFC3339)
				}
				// The person last: the columns before it keep their places.
				fmt.Fprintf(out, "%s\tfw_%s…\t%s\t%s\t%s\t%s\t%s\n", k.Name(), k.Prefix, k.Role, k.Partner, k.DisplayName, state, k.Person)
			}
			if token = p.NextPageToken; token == "" {
				return nil
			}
		}
	case "revoke":
		id, err := uuid.Parse(strings.TrimPrefix(c.keyTarget, "apiKeys/"))
		if err != nil {
			return fmt.Errorf("keys revoke: want the key's name, apiKeys/{id} (see furrow keys list), got %q", c.keyTarget)
		}
		k, err := svc.RevokeKey(auth.WithCaller(ctx, auth.Caller{Name: "cli", Role: auth.Admin}), id)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "revoked %s (fw_%s…)\n", k.Name(), k.Prefix)
		return nil
	}
	return fmt.Errorf("keys: unknown action %q: want create, list or revoke", c.keyAction)
}

func envFloat(name string, def float64) (float64, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		return def, fmt.Errorf("%s=%q: want a number of requests per second, 0 for no limit", name, v)
	}
	return f, nil
}

func envInt(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return def, fmt.Errorf("%s=%q: want a positive whole number", name, v)
	}
	return n, nil
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
