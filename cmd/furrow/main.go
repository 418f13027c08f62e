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
	"strings"
	"syscall"
	"time"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/app"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/requestid"
	"github.com/furrowhq/furrow/internal/seed"
	"github.com/furrowhq/furrow/internal/server"
	"github.com/furrowhq/furrow/internal/store"
)

const usage = `usage: furrow <command> [flags]

commands:
  serve     run the gRPC (default :9090) and REST (default :8080) API
  migrate   apply pending database migrations and exit
  seed      load a realistic demo dataset (a few hundred accounts)
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
	}
	if cmd == "seed" {
		fs.IntVar(&c.seedAccounts, "accounts", 300, "how many accounts to create")
		fs.Int64Var(&c.seedRandom, "random-seed", 1, "random seed; the same seed makes the same dataset")
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
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
	case "serve", "migrate", "seed":
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
		svc := account.NewService(store.New(db), nil)
		st, err := seed.Run(ctx, svc, seed.Options{Accounts: c.seedAccounts, Seed: c.seedRandom})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "seeded %d accounts (%d already there), %d contacts, %d deals, %d interactions, %d claims, %d transfers\n",
			st.Accounts, st.Skipped, st.Contacts, st.Deals, st.Interactions, st.Claims, st.Transfers)
		return nil
	}
	return serve(ctx, c, db, log)
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

func serve(ctx context.Context, c config, db *database.DB, log *slog.Logger) error {
	if err := migrateOrCheck(ctx, db, c.migrate, log); err != nil {
		return err
	}
	srv, err := app.NewServer(ctx, db, server.Config{
		GRPCAddr: c.grpcAddr, HTTPAddr: c.httpAddr, Logger: log, ShutdownTimeout: c.shutdownTimeout,
	})
	if err != nil {
		return err
	}
	return srv.Serve(ctx)
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
