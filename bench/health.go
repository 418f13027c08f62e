package main

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/health"
	"github.com/furrowhq/furrow/internal/store"
)

// The health benchmark: -health-accounts accounts with -health-signals signals (and,
// unless -health-archive=false, a few contacts, interactions and won deals each) in a
// fresh PostgreSQL database; every account recomputed with the default scorecard
// through the health service's recompute job (StartRecompute, then RunJobs in this
// process, as the server's worker runs it), twice: first every score is new, then
// nothing changed. The floor it is compared with, in the same run and database, is one
// SQL query that aggregates the same signals per account and measure and reads every
// result row: what reading the data costs at the least.

const (
	// healthScenario is the scenario name that selects the health benchmark.
	healthScenario = "health"
	// healthRounds is how many rounds run: each runs the baseline query, then a first
	// pass, then a second one. Times are the median of the rounds', and ratios the
	// median of each round's pass ÷ that round's baseline: this machine's speed drifts
	// by a third over minutes, and runs seconds apart share the drift.
	healthRounds = 5
	// healthProgressEvery is how often a recompute pass prints its progress.
	healthProgressEvery = 15 * time.Second
	// memInterval is how often memory is sampled during a pass.
	memInterval = 10 * time.Millisecond
	// healthWorker is the worker name the recompute job runs under.
	healthWorker = "bench"
	// The goal the issue sets: recompute within this many times the baseline's time,
	// using less than this much memory.
	healthGoalRatio  = 3
	healthGoalMemory = 1 << 30
)

// healthBaselineQuery aggregates every signal up to $1 per account and measure. The
// sum is cast back to bigint, as the store's aggregates do (SUM(bigint) is numeric);
// the account id comes as bytea, as the recompute reads it (lib/pq reads a bytea in
// place, a uuid as text to parse).
const healthBaselineQuery = `SELECT uuid_send(account_id), measure, count(*), sum(value_micros)::bigint, max(time)
FROM signals WHERE time <= $1 GROUP BY account_id, measure`

// healthResult is what one pass measured.
type healthResult struct {
	name    string
	elapsed time.Duration   // the median run
	cpu     cpuSample       // used during the median run
	mem     memPeak         // the highest of the runs
	runs    []time.Duration // every run, in order
	// Baseline only.
	rows int // result rows per run
	// Recompute only.
	ratios  []float64 // per round: this pass's time ÷ that round's baseline's
	ratio   float64   // their median
	job     *health.Job
	written int64 // scores the pass stored (history plus current rows)
	sql     *sqlTrace
}

// runHealth runs the health benchmark and prints its table. It fails when a recompute
// job does not succeed or does not process every account.
func runHealth(ctx context.Context, cfg config) error {
	n, m := cfg.healthAccounts, cfg.healthSignals
	fmt.Printf("health: %d accounts, %d signals over 365 days, default scorecard, recompute batches of %d accounts, %d at once\n", n, m, cfg.healthBatch, cfg.healthParallel)
	var (
		dbURL string
		err   error
	)
	if cfg.healthReuse != "" {
		if dbURL, err = reuseDatabase(ctx, cfg.healthReuse); err != nil {
			return err
		}
	} else {
		var drop func()
		if dbURL, drop, err = createDatabase(ctx); err != nil {
			return err
		}
		defer drop()
	}
	var trace *tracer
	var db *database.DB
	if cfg.healthSQL {
		trace = &tracer{}
		db, err = openTraced(ctx, dbURL, trace)
	} else {
		db, err = database.Open(ctx, dbURL)
	}
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}

	if cfg.healthReuse != "" {
		if err := checkReused(ctx, db.DB, n, m); err != nil {
			return err
		}
		if err := emptyHealth(ctx, db.DB); err != nil {
			return err
		}
	} else {
		start := time.Now()
		rng := mrand.New(mrand.NewPCG(healthSeed, healthSeed))
		data := genHealth(rng, time.Now(), n, m) // garbage once loaded, before the passes measure memory
		ld, err := loadHealth(ctx, db.DB, rng, data, cfg.healthArchive)
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		fmt.Printf("loaded %d accounts (%d without signals, %d stopped 30-300 days ago), %d signals, %d contacts, %d interactions, %d won deals with COPY, then VACUUM ANALYZE, in %s\n",
			ld.accounts, data.idle, data.churned, ld.signals, ld.contacts, ld.interactions, ld.deals, time.Since(start).Round(time.Millisecond))
	}
	if err := printHealthSizes(ctx, db.DB); err != nil {
		return err
	}

	// As an admin would start the job; the activity log records the caller.
	ctx = auth.WithCaller(ctx, auth.Caller{Name: "apiKeys/bench", Role: auth.Admin})
	svc := health.NewService(store.New(db), health.Options{BatchSize: cfg.healthBatch, Parallel: cfg.healthParallel})
	if err := svc.EnsureDefault(ctx); err != nil {
		return fmt.Errorf("default scorecard: %w", err)
	}
	// Creating the default scorecard queues a recompute of every account: cancel it, so
	// each pass below runs exactly the job it starts.
	if n, err := cancelRunningJobs(ctx, svc); err != nil {
		return err
	} else if n > 0 {
		fmt.Printf("cancelled %d recompute job(s) queued with the default scorecard\n", n)
	}
	meter := pgMeter{cpuMeter: newCPUMeter(db.DB, dbURL)}

	serial, err := healthBaseline(ctx, db.DB, meter, cfg.cpuProfile, false)
	if err != nil {
		return fmt.Errorf("baseline without parallel workers: %w", err)
	}
	base, err := newBaseline(ctx, db.DB, meter, cfg.cpuProfile, true)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	defer base.close()
	if err := warmConnections(ctx, db.DB, cfg.healthParallel+3); err != nil {
		return fmt.Errorf("warm connections: %w", err)
	}
	names := []string{"recompute 1 (new)", "recompute 2 (same)"}
	passRuns := make([][]healthResult, len(names)) // every run of each pass, checked below
	for k := range healthRounds {
		if err := base.run(ctx); err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		for i, name := range names {
			// The health tables were analyzed empty, with the others after loading.
			// Autovacuum analyzes them within a minute or so of a first pass (50 rows
			// plus 10 % changed); the second pass runs after it has, with the plans a
			// later recompute gets, whenever autovacuum comes round. Every first pass
			// starts from empty health tables, analyzed so, as the first round's does.
			var setup []string
			switch {
			case i == 1:
				setup = []string{"ANALYZE health_scores, account_healths"}
			case k > 0:
				setup = []string{"TRUNCATE health_scores, account_healths", "ANALYZE health_scores, account_healths"}
			}
			for _, q := range setup {
				if _, err := db.ExecContext(ctx, q); err != nil {
					return err
				}
			}
			label := fmt.Sprintf("%s %d/%d", name, k+1, healthRounds)
			r, err := recomputePass(ctx, svc, db.DB, meter, trace, label, fmt.Sprintf("health%d-%d", i+1, k+1), cfg.cpuProfile)
			if err != nil {
				return fmt.Errorf("%s: %w", label, err)
			}
			passRuns[i] = append(passRuns[i], r)
		}
	}
	results := []healthResult{base.result(), serial}
	for i, name := range names {
		results = append(results, medianPass(name, passRuns[i], base.runs))
	}

	fmt.Println()
	printHealthTable(os.Stdout, results, n, m)
	var problems []string
	passes := results[2:]
	for _, r := range passes {
		j := r.job
		fmt.Printf("%-19s %s: %s, processed %d, changed %d, no data %d; %d scores stored (the median run)\n",
			r.name+":", health.JobName(j.ID), j.State, j.Processed, j.Changed, j.NoData, r.written)
	}
	for i, runs := range passRuns {
		for k, r := range runs {
			if j := r.job; j.State != health.JobSucceeded || j.Processed != int64(n) {
				problems = append(problems, fmt.Sprintf("%s, run %d: job %s with %d of %d accounts processed (%s)", passes[i].name, k+1, j.State, j.Processed, n, j.Error))
			}
			// Only windows sliding and day counts ticking over since the run before
			// change scores in a pass over unchanged data.
			if i == 1 && r.written > int64(n)/100 {
				problems = append(problems, fmt.Sprintf("%s, run %d: wrote %d scores for unchanged data (more than 1%% of the accounts)", passes[i].name, k+1, r.written))
			}
		}
	}
	worst := 0.0
	var peak uint64
	for _, r := range passes {
		worst = max(worst, r.ratio)
		peak = max(peak, r.mem.rss)
	}
	fmt.Printf("goal: recompute within %dx of the baseline: %s (%.1fx at worst); peak RSS under 1 GiB: %s (%s)\n",
		healthGoalRatio, yesNo(worst <= healthGoalRatio), worst, yesNo(peak < healthGoalMemory), mib(peak))
	for _, r := range passes {
		if r.sql != nil {
			batches := (n + cfg.healthBatch - 1) / cfg.healthBatch
			fmt.Printf("\nstatements the recompute sent in %s (\"per rec\": per batch of %d accounts):\n", r.name, cfg.healthBatch)
			r.sql.print(os.Stdout, batches)
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// printHealthSizes prints the on-disk size of the tables the recompute reads.
func printHealthSizes(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT relname, pg_size_pretty(pg_table_size(oid)), pg_size_pretty(pg_indexes_size(oid))
FROM pg_class WHERE relname IN ('signals', 'contacts', 'interactions', 'deals') ORDER BY pg_total_relation_size(oid) DESC`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var parts []string
	for rows.Next() {
		var name, table, indexes string
		if err := rows.Scan(&name, &table, &indexes); err != nil {
			return err
		}
		parts = append(parts, fmt.Sprintf("%s %s + %s indexes", name, table, indexes))
	}
	fmt.Printf("sizes: %s\n", strings.Join(parts, ", "))
	return rows.Err()
}

// warmConnections runs the baseline query once on each of n pooled connections, held
// at once so they are distinct, and returns them to the pool for the recompute. A
// PostgreSQL backend faults in each page of the shared buffer pool the first time it
// touches it (about 28,000 minor faults, 0.4 s of system time, for two new backends in a
// first pass); the baseline's median run is on a connection that has, and a server's
// pooled connections have too. Untimed.
func warmConnections(ctx context.Context, db *sql.DB, n int) error {
	conns := make([]*sql.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	asOf := time.Now().UTC()
	for range n {
		c, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		conns = append(conns, c)
		if _, err := aggregateSignals(ctx, c, asOf); err != nil {
			return err
		}
	}
	fmt.Printf("warmed %d connections for the recompute (the baseline query once on each, untimed)\n", n)
	return nil
}

// healthBaseline runs the baseline query healthRounds times in a row (see baseline)
// and returns the median run.
func healthBaseline(ctx context.Context, db *sql.DB, meter pgMeter, profile string, parallel bool) (healthResult, error) {
	b, err := newBaseline(ctx, db, meter, profile, parallel)
	if err != nil {
		return healthResult{}, err
	}
	defer b.close()
	for range healthRounds {
		if err := b.run(ctx); err != nil {
			return healthResult{}, err
		}
	}
	return b.result(), nil
}

// baseline runs the baseline query on one connection, reading and scanning every row.
// Without parallel, the connection sets max_parallel_workers_per_gather to 0, so one
// backend does all the work, as it does for the recompute's queries.
type baseline struct {
	conn          *sql.Conn
	meter         pgMeter
	name, suffix  string
	profile       string
	asOf          time.Time
	runs          []time.Duration
	cpus          []cpuSample
	mems          []memPeak
	rows          int
	resetParallel bool
}

// newBaseline opens the baseline's connection and prints its plan.
func newBaseline(ctx context.Context, db *sql.DB, meter pgMeter, profile string, parallel bool) (*baseline, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	b := &baseline{conn: conn, meter: meter, name: "baseline (median)", suffix: "health-baseline", profile: profile, asOf: time.Now().UTC()}
	if !parallel {
		b.name, b.suffix, b.resetParallel = "baseline, 1 process", "health-serial", true
		if _, err := conn.ExecContext(ctx, "SET max_parallel_workers_per_gather = 0"); err != nil {
			conn.Close()
			return nil, err
		}
	}
	plan, err := explain(ctx, conn, healthBaselineQuery, b.asOf)
	if err != nil {
		b.close()
		return nil, err
	}
	fmt.Printf("%s plan: %s\n", b.name, plan)
	return b, nil
}

// run runs the query once.
func (b *baseline) run(ctx context.Context) error {
	i := len(b.runs) + 1
	fmt.Printf("running health %s %d/%d\n", b.name, i, healthRounds)
	stopProfile, err := startProfile(b.profile, fmt.Sprintf("%s%d", b.suffix, i))
	if err != nil {
		return err
	}
	mem := watchMemory(memInterval)
	cpu0 := b.meter.sample(ctx)
	t0 := time.Now()
	rows, err := aggregateSignals(ctx, b.conn, b.asOf)
	elapsed := time.Since(t0)
	cpu1 := b.meter.sample(ctx)
	peak := mem.end()
	stopProfile()
	if err != nil {
		return err
	}
	b.rows = rows
	b.runs = append(b.runs, elapsed)
	b.cpus = append(b.cpus, cpuSample{self: cpu1.self - cpu0.self, pg: cpu1.pg - cpu0.pg, pgOK: cpu0.pgOK && cpu1.pgOK})
	b.mems = append(b.mems, peak)
	return nil
}

// result is the median run, with every run's time in order.
func (b *baseline) result() healthResult {
	order := make([]int, len(b.runs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int { return cmp.Compare(b.runs[x], b.runs[y]) })
	m := order[len(order)/2]
	return healthResult{name: b.name, elapsed: b.runs[m], cpu: b.cpus[m], mem: b.mems[m], rows: b.rows, runs: slices.Clone(b.runs)}
}

func (b *baseline) close() {
	if b.resetParallel {
		_, _ = b.conn.ExecContext(context.Background(), "RESET max_parallel_workers_per_gather")
	}
	b.conn.Close()
}

// aggregateSignals runs the baseline query once and scans every row into Go values, as
// a client that uses them would, and as cheaply as the recompute reads its rows: the
// account id as its 16 bytes, the measure in place (a client maps it to its query by
// comparing bytes); it returns the row count.
func aggregateSignals(ctx context.Context, db querier, asOf time.Time) (int, error) {
	rows, err := db.QueryContext(ctx, healthBaselineQuery, asOf)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	var (
		raw, measure sql.RawBytes
		id           uuid.UUID
		count, sum   int64
		latest       time.Time
	)
	for rows.Next() {
		if err := rows.Scan(&raw, &measure, &count, &sum, &latest); err != nil {
			return n, err
		}
		if copy(id[:], raw) != len(id) || len(measure) == 0 {
			return n, fmt.Errorf("baseline row %d: account id of %d bytes, measure %q", n, len(raw), measure)
		}
		n++
	}
	return n, rows.Err()
}

// explain returns the plan of query as one line: its nodes, outermost first.
func explain(ctx context.Context, db querier, query string, args ...any) (string, error) {
	rows, err := db.QueryContext(ctx, "EXPLAIN "+query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var nodes []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "->"))
		if i := strings.Index(line, "  (cost="); i >= 0 {
			nodes = append(nodes, strings.TrimSpace(line[:i]))
		}
	}
	return strings.Join(nodes, " < "), rows.Err()
}

// recomputePass recomputes every account: a job queued with StartRecompute and run to
// its end with RunJobs, timed from the start of the one to the end of the other.
func recomputePass(ctx context.Context, svc *health.Service, db *sql.DB, meter pgMeter, trace *tracer, name, suffix, profile string) (healthResult, error) {
	r := healthResult{name: name}
	before, err := countScores(ctx, db)
	if err != nil {
		return r, err
	}
	fmt.Printf("running health %s\n", name)
	stopProfile, err := startProfile(profile, suffix)
	if err != nil {
		return r, err
	}
	if trace != nil {
		trace.reset()
	}
	mem := watchMemory(memInterval)
	cpu0 := meter.sample(ctx)
	start := time.Now()
	job, err := svc.StartRecompute(ctx, "")
	ran := 0
	if err == nil {
		stopProgress := progress(ctx, svc, name, job.ID, start)
		ran, err = svc.RunJobs(ctx, healthWorker)
		stopProgress()
	}
	r.elapsed = time.Since(start)
	cpu1 := meter.sample(ctx)
	r.mem = mem.end()
	stopProfile()
	if err != nil {
		return r, err
	}
	if ran != 1 {
		return r, fmt.Errorf("RunJobs ran %d jobs, want 1 (the pass's own)", ran)
	}
	r.cpu = cpuSample{self: cpu1.self - cpu0.self, pg: cpu1.pg - cpu0.pg, pgOK: cpu0.pgOK && cpu1.pgOK}
	if trace != nil {
		r.sql = trace.snapshot()
	}
	if r.job, err = svc.GetJob(ctx, job.ID); err != nil {
		return r, err
	}
	after, err := countScores(ctx, db)
	r.written = after - before
	return r, err
}

// median returns the median of xs (the upper one of an even count).
func median(xs []float64) float64 {
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}

// medianPass returns the run of median time, named name, with every run's time, the
// highest memory of any run (the memory goal is about the worst) and its ratios to the
// baseline: each run's to its round's baseline run (baseRuns, in round order) and
// their median.
func medianPass(name string, runs []healthResult, baseRuns []time.Duration) healthResult {
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b healthResult) int { return cmp.Compare(a.elapsed, b.elapsed) })
	m := sorted[len(sorted)/2]
	m.name = name
	for k, r := range runs {
		m.ratios = append(m.ratios, r.elapsed.Seconds()/baseRuns[k].Seconds())
	}
	m.ratio = median(m.ratios)
	for _, r := range runs {
		m.runs = append(m.runs, r.elapsed)
		m.mem.heap, m.mem.runtime = max(m.mem.heap, r.mem.heap), max(m.mem.runtime, r.mem.runtime)
		if r.mem.rss > m.mem.rss {
			m.mem.rss, m.mem.hwm = r.mem.rss, r.mem.hwm
		}
	}
	return m
}

// checkReused checks that a reused database holds the data the flags describe: a
// health scenario's, with n accounts and m signals.
func checkReused(ctx context.Context, db *sql.DB, n, m int) error {
	var accounts, signals int
	if err := db.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM signals)").Scan(&accounts, &signals); err != nil {
		return fmt.Errorf("reuse: %w", err)
	}
	if accounts != n || signals != m {
		return fmt.Errorf("reuse: the database holds %d accounts and %d signals; the flags say %d and %d", accounts, signals, n, m)
	}
	return nil
}

// emptyHealth empties a reused database's health tables, as a fresh load leaves them
// (empty, and analyzed so).
func emptyHealth(ctx context.Context, db *sql.DB) error {
	for _, q := range []string{"TRUNCATE health_scores, account_healths", "ANALYZE health_scores, account_healths"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("empty the health tables: %w", err)
		}
	}
	return nil
}

// cancelRunningJobs cancels every recompute job that has not ended and returns how
// many it cancelled.
func cancelRunningJobs(ctx context.Context, svc *health.Service) (int, error) {
	var ids []uuid.UUID
	for token := ""; ; {
		p, err := svc.ListJobs(ctx, 100, token)
		if err != nil {
			return 0, err
		}
		for _, j := range p.Items {
			if j.State == health.JobRunning {
				ids = append(ids, j.ID)
			}
		}
		if token = p.NextPageToken; token == "" {
			break
		}
	}
	for _, id := range ids {
		if _, err := svc.CancelJob(ctx, id); err != nil {
			return 0, fmt.Errorf("cancel %s: %w", health.JobName(id), err)
		}
	}
	return len(ids), nil
}

// progress prints how far the job is every healthProgressEvery until stopped, so a
// long pass leaves a trace even when interrupted.
func progress(ctx context.Context, svc *health.Service, name string, id uuid.UUID, start time.Time) (stop func()) {
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		t := time.NewTicker(healthProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if j, err := svc.GetJob(ctx, id); err == nil {
					fmt.Printf("  %s: %d/%d accounts in %s\n", name, j.Processed, j.Total, time.Since(start).Round(time.Second))
				}
			}
		}
	}()
	return func() {
		close(done)
		<-ended
	}
}

// querier is a *sql.DB or a *sql.Conn.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// pgMeter adds to cpuMeter's PostgreSQL CPU (the live backends of the benchmark
// database) the CPU of the PostgreSQL processes that ended in between: the postmaster
// accumulates its reaped children's CPU (cutime and cstime in /proc/<pid>/stat). That
// counts the parallel workers a query starts, which have ended before the meter reads
// the live backends again, and a connection closed in between. It also counts any
// other child that ended then: an autovacuum worker, or a connection to another
// database on the same server.
type pgMeter struct {
	cpuMeter
}

func (m pgMeter) sample(ctx context.Context) cpuSample {
	s := m.cpuMeter.sample(ctx)
	if !s.pgOK {
		return s
	}
	reaped, err := reapedCPU(ctx, m.db)
	if err != nil {
		s.pgOK = false
		return s
	}
	s.pg += reaped
	return s
}

// reapedCPU returns the CPU time of the postmaster's ended children.
func reapedCPU(ctx context.Context, db *sql.DB) (time.Duration, error) {
	var pid int
	if err := db.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		return 0, err
	}
	f, err := procStatFields(pid)
	if err != nil {
		return 0, err
	}
	postmaster, err := strconv.Atoi(f[1])
	if err != nil {
		return 0, fmt.Errorf("pid %d: bad ppid %q", pid, f[1])
	}
	if f, err = procStatFields(postmaster); err != nil {
		return 0, err
	}
	cutime, err1 := strconv.ParseInt(f[13], 10, 64)
	cstime, err2 := strconv.ParseInt(f[14], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("pid %d: bad stat", postmaster)
	}
	return time.Duration(cutime+cstime) * clockTick, nil
}

// procStatFields returns the fields of /proc/<pid>/stat after the command name: state
// first, then ppid, ... (field 3 of proc(5) is index 0), checking that pid is
// PostgreSQL.
func procStatFields(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || !strings.HasPrefix(s[strings.IndexByte(s, '(')+1:], "postgres") {
		return nil, fmt.Errorf("pid %d is not a PostgreSQL process", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 15 {
		return nil, fmt.Errorf("pid %d: short stat", pid)
	}
	return f, nil
}

// countScores counts the stored scores: an account's latest lives in its current row,
// the ones it replaced in health_scores.
func countScores(ctx context.Context, db *sql.DB) (int64, error) {
	var n int64
	err := db.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM health_scores) + (SELECT count(*) FROM account_healths)").Scan(&n)
	return n, err
}

// printHealthTable writes the baselines (default settings, then one process) and the
// recompute passes, each compared with both: ratio is the median of the rounds' ratios
// to the baseline run of the same round, "medians" the median time ÷ the baseline's,
// "1 proc" ÷ the one-process baseline's.
func printHealthTable(w io.Writer, results []healthResult, accounts, signals int) {
	const format = "%-20s %8v %10v %10v %9v %9v %9v %9v %9v %6v %8v %6v\n"
	fmt.Fprintf(w, format, "pass", "seconds", "accounts/s", "signals/s", "peak heap", "peak Go", "peak RSS", "cpu/acct", "pg/acct", "ratio", "medians", "1 proc")
	base, serial := results[0], results[1]
	for i, r := range results {
		ratio, medians, ratio1 := "", "", ""
		if i >= 2 {
			ratio = fmt.Sprintf("%.1f", r.ratio)
			medians = fmt.Sprintf("%.1f", r.elapsed.Seconds()/base.elapsed.Seconds())
			ratio1 = fmt.Sprintf("%.1f", r.elapsed.Seconds()/serial.elapsed.Seconds())
		}
		pg := "-"
		if r.cpu.pgOK {
			pg = perRequest(r.cpu.pg, accounts)
		}
		rss := mib(r.mem.rss)
		if !r.mem.hwm {
			rss += "*"
		}
		fmt.Fprintf(w, format, r.name, fmt.Sprintf("%.2f", r.elapsed.Seconds()),
			fmt.Sprintf("%.0f", float64(accounts)/r.elapsed.Seconds()), fmt.Sprintf("%.0f", float64(signals)/r.elapsed.Seconds()),
			mib(r.mem.heap), mib(r.mem.runtime), rss, perRequest(r.cpu.self, accounts), pg, ratio, medians, ratio1)
	}
	runs := func(r healthResult) string {
		out := make([]string, len(r.runs))
		for i, d := range r.runs {
			out[i] = fmt.Sprintf("%.2f", d.Seconds())
		}
		return strings.Join(out, " ")
	}
	fmt.Fprintf(w, "rounds: the baseline, then each pass, %d times; times are the median of each row's runs, memory the highest run's (baselines: the median run's): baseline %s s, one process (before the rounds) %s s (%d rows each, one per account and measure)",
		healthRounds, runs(base), runs(serial), base.rows)
	for _, r := range results[2:] {
		fmt.Fprintf(w, ", %s %s s", r.name, runs(r))
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "ratio = the median of each round's pass ÷ that round's baseline")
	for _, r := range results[2:] {
		out := make([]string, len(r.ratios))
		for i, x := range r.ratios {
			out[i] = fmt.Sprintf("%.2f", x)
		}
		fmt.Fprintf(w, " (%s: %s)", r.name, strings.Join(out, " "))
	}
	fmt.Fprintln(w, "; medians = the median seconds ÷ the baseline's; 1 proc = ÷ the one-process baseline's")
	fmt.Fprintln(w, "peak heap, peak Go: the Go heap's objects and all the Go runtime's memory, sampled every 10 ms; peak RSS: the kernel's high-water mark for this process during the pass (* sampled)")
}
