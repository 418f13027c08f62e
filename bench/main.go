// Command bench measures Furrow's read API against a raw-SQL floor on PostgreSQL, its
// partner sync against COPY, and its health-score recompute against one aggregating
// query.
//
// For the read scenarios it creates a fresh database, loads -accounts accounts with
// labels and primary contacts, starts the real server (gRPC and the REST gateway,
// request logging on but discarded, every call authenticated with an admin API key) on
// loopback, and runs each scenario for -duration with -concurrency closed-loop workers
// after an unrecorded warm-up. It prints throughput, latency percentiles, errors and CPU
// per request (this process's and, when PostgreSQL is local, its backends'), and for
// each API scenario how many times slower it is than the baseline that does the same
// reads with database/sql directly.
//
// The sync scenario (sync.go) upserts -sync-records partner records through
// BatchUpsertAccounts, 1000 a call, twice (new, then unchanged), and loads the same
// rows with COPY into another fresh database as the physical limit.
//
// The health scenario (health.go) loads -health-accounts accounts with -health-signals
// signals with COPY, recomputes every account with the default scorecard twice (new
// scores, then unchanged) through the health service's recompute job, and compares
// each pass with one SQL query that aggregates the same signals per account, in the
// same run: accounts/s, peak memory and the ratio.
//
// Every database is dropped at the end, also on errors and Ctrl-C, unless
// FURROW_BENCH_KEEP is set (-health-reuse then runs the health scenario on one again).
// docs/performance.md explains the scenarios and the numbers.
//
// Run it with `make bench` or `go run ./bench -h`. PostgreSQL is found at
// FURROW_BENCH_DATABASE_URL, else FURROW_TEST_DATABASE_URL, else
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable; the role must be able
// to create databases.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/apikey"
	"github.com/furrowhq/furrow/internal/app"
	"github.com/furrowhq/furrow/internal/database"
	furrowserver "github.com/furrowhq/furrow/internal/server"
)

// config is what the flags set.
type config struct {
	accounts    int
	duration    time.Duration
	warmup      time.Duration
	concurrency int
	scenarios   []scenario // the read scenarios to run
	cpuProfile  string
	// The partner-sync benchmark (scenario "sync").
	sync        bool
	syncRecords int
	syncClients int
	syncSQL     bool
	// The health-score recompute benchmark (scenario "health").
	health         bool
	healthAccounts int
	healthSignals  int
	healthBatch    int
	healthParallel int
	healthArchive  bool
	healthSQL      bool
	healthReuse    string
	// The analytics benchmark (scenario "analytics", analytics.go).
	analytics             bool
	analyticsAccounts     int
	analyticsDeals        int
	analyticsInteractions int
	analyticsReps         int
	analyticsIndex        string
	analyticsExplain      bool
	// The case-search benchmark (scenario "cases", cases.go).
	cases        bool
	casesCount   int
	casesRounds  int
	casesExplain bool
	casesSQL     string
	// The audit-report benchmark (scenario "audits", audit.go).
	audits     bool
	auditCases int
	auditReps  int
}

func main() {
	var cfg config
	flag.IntVar(&cfg.accounts, "accounts", 10000, "number of accounts to load")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "measured time per scenario")
	flag.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "unrecorded warm-up before each scenario")
	flag.IntVar(&cfg.concurrency, "concurrency", 50, "closed-loop workers per scenario")
	flag.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the read scenarios (client, server and driver; not PostgreSQL) to this file, and one of each partner-sync and health pass to this file with a suffix (.copy1, .copy2, .sync1, ..., .health-baseline1, ..., .health1-1, ..., .health2-5)")
	names := flag.String("scenarios", strings.Join(append(scenarioNames(), analyticsScenario, casesScenario, auditScenario), ","), "comma-separated scenarios to run (the read scenarios first, then "+syncScenario+", then "+healthScenario+", then "+analyticsScenario+", then "+casesScenario+", then "+auditScenario+")")
	flag.IntVar(&cfg.syncRecords, "sync-records", 100000, "partner records to upsert in the "+syncScenario+" scenario")
	flag.IntVar(&cfg.syncClients, "sync-clients", 1, "when more than 1, also run the "+syncScenario+" scenario's two runs, over another fresh database, with this many clients sending batches at once")
	flag.BoolVar(&cfg.syncSQL, "sync-sql", false, "count and time the statements the server sends in each "+syncScenario+" pass, and print them")
	flag.IntVar(&cfg.healthAccounts, "health-accounts", 100000, "accounts to load and recompute in the "+healthScenario+" scenario")
	flag.IntVar(&cfg.healthSignals, "health-signals", 2000000, "signals to load in the "+healthScenario+" scenario, spread over the default scorecard's 7 signal measures and the last 365 days")
	flag.IntVar(&cfg.healthBatch, "health-batch", 4000, "accounts per recompute transaction in the "+healthScenario+" scenario (the health service's BatchSize; the server uses 4000 on PostgreSQL)")
	flag.IntVar(&cfg.healthParallel, "health-parallel", 2, "batches of a recompute job in flight at once in the "+healthScenario+" scenario (the health service's Parallel)")
	flag.BoolVar(&cfg.healthArchive, "health-archive", true, "also load a few contacts, interactions and won deals per account in the "+healthScenario+" scenario, which the default scorecard's relationship measures read")
	flag.BoolVar(&cfg.healthSQL, "health-sql", false, "count and time the statements each "+healthScenario+" recompute pass sends, and print them")
	flag.StringVar(&cfg.healthReuse, "health-reuse", "", "run the "+healthScenario+" scenario on this database, one an earlier run kept (FURROW_BENCH_KEEP=1) with the same -health-accounts, instead of loading a new one: builds compare on the same data without the minute of loading (its health tables are emptied first)")
	flag.IntVar(&cfg.analyticsAccounts, "analytics-accounts", 100000, "accounts to load in the "+analyticsScenario+" scenario")
	flag.IntVar(&cfg.analyticsDeals, "analytics-deals", 1000000, "deals to load in the "+analyticsScenario+" scenario")
	flag.IntVar(&cfg.analyticsInteractions, "analytics-interactions", 1000000, "interactions to load in the "+analyticsScenario+" scenario")
	flag.IntVar(&cfg.analyticsReps, "analytics-reps", 5, "timed runs of each report and aggregate in the "+analyticsScenario+" scenario (the median is reported)")
	flag.StringVar(&cfg.analyticsIndex, "analytics-index", "", "';'-separated SQL (e.g. CREATE INDEX ...) to run after the "+analyticsScenario+" scenario's first measurement, which is then repeated")
	flag.BoolVar(&cfg.analyticsExplain, "analytics-explain", false, "print EXPLAIN (ANALYZE, BUFFERS) of the "+analyticsScenario+" scenario's account-states statement after each measurement")
	flag.IntVar(&cfg.casesCount, "cases-count", 100000, "best-practice cases to load in the "+casesScenario+" scenario")
	flag.IntVar(&cfg.casesRounds, "cases-rounds", 50, "rounds of the "+casesScenario+" scenario's searches (each round runs every query through the service and as bare SQL)")
	flag.IntVar(&cfg.auditCases, "audit-cases", 125000, "audit cases to load in the "+auditScenario+" scenario (about 8 events each: 1,000,000 in all)")
	flag.IntVar(&cfg.auditReps, "audit-reps", 21, "timed runs of the "+auditScenario+" scenario's report and its bare SQL")
	flag.StringVar(&cfg.casesSQL, "cases-sql", "", "';'-separated SQL (e.g. ALTER TABLE ...) to run after the "+casesScenario+" scenario's first measurement, which is then repeated")
	flag.BoolVar(&cfg.casesExplain, "cases-explain", false, "print EXPLAIN (ANALYZE, BUFFERS) of one "+casesScenario+" search statement")
	flag.Parse()
	// The server's runtime settings (furrow serve applies the same), so scenarios that
	// run the services in this process measure what the server does.
	fmt.Printf("GOGC %s (furrow serve's default unless GOGC is set)\n", app.TuneRuntime())

	var err error
	var rest []string
	for n := range strings.SplitSeq(*names, ",") {
		switch strings.TrimSpace(n) {
		case analyticsScenario:
			cfg.analytics = true
		case casesScenario:
			cfg.cases = true
		case auditScenario:
			cfg.audits = true
		default:
			rest = append(rest, n)
		}
	}
	if cfg.scenarios, err = selectScenarios(strings.Join(rest, ",")); err != nil && !((cfg.analytics || cfg.cases || cfg.audits) && len(rest) == 0) {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	cfg.scenarios = slices.DeleteFunc(cfg.scenarios, func(s scenario) bool {
		cfg.sync = cfg.sync || s.name == syncScenario
		cfg.health = cfg.health || s.name == healthScenario
		return s.name == syncScenario || s.name == healthScenario
	})
	// The list scenarios read two full pages.
	if cfg.accounts <= 2*pageSize || cfg.concurrency < 1 || cfg.duration <= 0 || cfg.warmup < 0 {
		fmt.Fprintf(os.Stderr, "bench: need -accounts > %d, -concurrency >= 1, -duration > 0, -warmup >= 0\n", 2*pageSize)
		os.Exit(2)
	}
	if cfg.syncRecords < 1 || cfg.syncClients < 1 {
		fmt.Fprintln(os.Stderr, "bench: need -sync-records >= 1, -sync-clients >= 1")
		os.Exit(2)
	}
	if cfg.analyticsAccounts < 1 || cfg.analyticsDeals < 0 || cfg.analyticsInteractions < 0 || cfg.analyticsReps < 1 {
		fmt.Fprintln(os.Stderr, "bench: need -analytics-accounts >= 1, -analytics-deals >= 0, -analytics-interactions >= 0, -analytics-reps >= 1")
		os.Exit(2)
	}
	if cfg.auditCases < 1 || cfg.auditReps < 1 {
		fmt.Fprintln(os.Stderr, "bench: need -audit-cases >= 1, -audit-reps >= 1")
		os.Exit(2)
	}
	if cfg.casesCount < 1 || cfg.casesRounds < 1 {
		fmt.Fprintln(os.Stderr, "bench: need -cases-count >= 1, -cases-rounds >= 1")
		os.Exit(2)
	}
	if cfg.healthAccounts < 1 || cfg.healthSignals < 0 || cfg.healthBatch < 1 || cfg.healthParallel < 1 {
		fmt.Fprintln(os.Stderr, "bench: need -health-accounts >= 1, -health-signals >= 0, -health-batch >= 1, -health-parallel >= 1")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, cfg)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// run runs the read scenarios, then the partner-sync benchmark, then the health
// benchmark, as selected.
func run(ctx context.Context, cfg config) error {
	var errs []error
	if len(cfg.scenarios) > 0 {
		errs = append(errs, runReads(ctx, cfg))
		if ctx.Err() != nil {
			return errors.Join(errs...)
		}
	}
	if cfg.sync {
		if len(cfg.scenarios) > 0 {
			fmt.Println()
		}
		errs = append(errs, runSync(ctx, cfg))
		if ctx.Err() != nil {
			return errors.Join(errs...)
		}
	}
	if cfg.health {
		if len(cfg.scenarios) > 0 || cfg.sync {
			fmt.Println()
		}
		errs = append(errs, runHealth(ctx, cfg))
		if ctx.Err() != nil {
			return errors.Join(errs...)
		}
	}
	if cfg.analytics {
		if len(cfg.scenarios) > 0 || cfg.sync || cfg.health {
			fmt.Println()
		}
		errs = append(errs, runAnalytics(ctx, cfg))
		if ctx.Err() != nil {
			return errors.Join(errs...)
		}
	}
	if cfg.cases {
		if len(cfg.scenarios) > 0 || cfg.sync || cfg.health || cfg.analytics {
			fmt.Println()
		}
		errs = append(errs, runCases(ctx, cfg))
		if ctx.Err() != nil {
			return errors.Join(errs...)
		}
	}
	if cfg.audits {
		if len(cfg.scenarios) > 0 || cfg.sync || cfg.health || cfg.analytics || cfg.cases {
			fmt.Println()
		}
		errs = append(errs, runAudits(ctx, cfg))
	}
	return errors.Join(errs...)
}

// runReads sets everything up, runs the read scenarios and prints the table. Every
// resource is released by a defer, so the database is dropped however it returns.
func runReads(ctx context.Context, cfg config) error {
	db, dbURL, done, err := migratedDatabase(ctx)
	if err != nil {
		return err
	}
	defer done()

	start := time.Now()
	data, err := load(ctx, db, cfg.accounts)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	fmt.Printf("loaded %d accounts, %d labels, %d contacts in %s\n",
		len(data.ids), data.labels, data.contacts, time.Since(start).Round(time.Millisecond))

	srv, stopServer, err := startServer(ctx, db)
	if err != nil {
		return err
	}
	defer stopServer()

	conn, err := dial(srv.GRPCAddr(), srv.adminKey)
	if err != nil {
		return err
	}
	defer conn.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = cfg.concurrency
	tr.MaxIdleConnsPerHost = cfg.concurrency
	defer tr.CloseIdleConnections()

	e := &env{
		dbURL:   dbURL,
		data:    data,
		server:  db.DB,
		grpc:    furrowv1.NewAccountServiceClient(conn),
		http:    &http.Client{Transport: tr},
		baseURL: "http://" + srv.HTTPAddr(),
		auth:    "Bearer " + srv.adminKey,
		cpu:     newCPUMeter(db.DB, dbURL),
	}

	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var results []result
	for _, sc := range cfg.scenarios {
		fmt.Printf("running %-14s %s warm-up + %s, %d workers\n", sc.name, cfg.warmup, cfg.duration, cfg.concurrency)
		r, err := runScenario(ctx, e, sc, cfg)
		if err != nil {
			return fmt.Errorf("%s: %w", sc.name, err)
		}
		results = append(results, r)
	}
	fmt.Println()
	printTable(os.Stdout, results)

	var failed []string
	for _, r := range results {
		if r.failed() {
			failed = append(failed, r.name)
			fmt.Fprintf(os.Stderr, "\n%s: %d errors in %d requests; by message:\n", r.name, r.errors, r.requests)
			for _, m := range r.topErrors(10) {
				fmt.Fprintf(os.Stderr, "  %6d  %s\n", r.errMsgs[m], m)
			}
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("more than 0.1%% errors (or no requests) in %s", strings.Join(failed, ", "))
	}
	return nil
}

// server is the API running in this process.
type server struct {
	*app.App
	adminKey string // the bootstrap admin key, sent with every request
}

// startServer starts the API over db (migrated, with no API key yet) on loopback
// ports, with a fresh admin key, no rate limit, and request logging on (production logs
// every request) but written to io.Discard. stop shuts it down.
func startServer(ctx context.Context, db *database.DB) (srv *server, stop func(), err error) {
	key, err := apikey.New()
	if err != nil {
		return nil, nil, err
	}
	a, err := app.New(ctx, db, app.Options{
		Server: furrowserver.Config{
			GRPCAddr: "127.0.0.1:0",
			HTTPAddr: "127.0.0.1:0",
			Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		},
		BootstrapKey: key.String(),
		RateLimit:    0, // unlimited
	})
	if err != nil {
		return nil, nil, err
	}
	serveCtx, stopServing := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- a.Serve(serveCtx) }()
	return &server{App: a, adminKey: key.String()}, func() {
		stopServing()
		<-served
	}, nil
}

// dial opens a gRPC client connection to addr that sends key as a bearer token on
// every call.
func dial(addr, key string) (*grpc.ClientConn, error) {
	return grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUnaryInterceptor(bearer(key)))
}

// bearer returns a unary client interceptor that adds `authorization: Bearer <key>`
// to the outgoing metadata.
func bearer(key string) grpc.UnaryClientInterceptor {
	value := "Bearer " + key
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		return invoker(metadata.AppendToOutgoingContext(ctx, "authorization", value), method, req, reply, cc, opts...)
	}
}

// runScenario measures sc, giving a rawSQL scenario its own database/sql pool of
// -concurrency connections for the time it runs.
func runScenario(ctx context.Context, e *env, sc scenario, cfg config) (result, error) {
	if sc.rawSQL {
		// The server is idle meanwhile: close its idle connections, so that both pools
		// together do not take more of PostgreSQL's max_connections than they use.
		e.server.SetMaxIdleConns(0)
		defer e.server.SetMaxIdleConns(e.server.Stats().MaxOpenConnections) // as database.Open sets it
		// Opened like the server's pool (same driver and settings), but as large as
		// there are workers, so the floor never waits for a connection.
		pool, err := database.Open(ctx, e.dbURL)
		if err != nil {
			return result{}, err
		}
		defer pool.Close()
		pool.SetMaxOpenConns(cfg.concurrency)
		pool.SetMaxIdleConns(cfg.concurrency)
		withSQL := *e
		withSQL.sql = pool.DB
		e = &withSQL
	}
	r, err := measure(ctx, cfg.concurrency, cfg.warmup, cfg.duration, func() op { return sc.worker(e) }, e.cpu)
	r.name, r.baseline = sc.name, sc.baseline
	return r, err
}

// selectScenarios returns the scenarios named in the comma-separated list, in the
// order given.
func selectScenarios(list string) ([]scenario, error) {
	all := allScenarios()
	var out []scenario
	for n := range strings.SplitSeq(list, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		i := slices.IndexFunc(all, func(s scenario) bool { return s.name == n })
		if i < 0 {
			return nil, fmt.Errorf("unknown scenario %q (have %s)", n, strings.Join(scenarioNames(), ", "))
		}
		out = append(out, all[i])
	}
	if len(out) == 0 {
		return nil, errors.New("no scenarios selected")
	}
	return out, nil
}

// scenarioNames returns the names of every scenario, sync and health last.
func scenarioNames() []string {
	all := allScenarios()
	out := make([]string, len(all))
	for i, s := range all {
		out[i] = s.name
	}
	return out
}
