package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/database"
)

// The partner-sync benchmark: a partner upserts -sync-records records (one account,
// one contact and one deal each) with BatchUpsertAccounts, 1000 a call, first into an
// empty installation (every record CREATED) and then again, unchanged (every record
// UNCHANGED). The same rows loaded with COPY are the physical limit it is compared
// with. With -sync-clients 2 it repeats both runs over another fresh database with the
// batches sent by two clients at once.

const (
	// syncScenario is the scenario name that selects the partner-sync benchmark.
	syncScenario = "sync"
	// syncPartnerID is the partner the benchmark syncs as.
	syncPartnerID = "bench-crm"
	// syncBatchSize is the records per BatchUpsertAccounts call: the API's maximum.
	syncBatchSize = 1000
	// syncCallTimeout bounds one BatchUpsertAccounts call.
	syncCallTimeout = 2 * time.Minute
	// maxSyncErrors is how many record errors a pass keeps to print.
	maxSyncErrors = 5
	// progressEvery is how many batches a pass sends between progress lines.
	progressEvery = 10
)

// syncPass is one pass over the records through the API.
type syncPass struct {
	name    string
	clients int // clients sending batches at once
	want    furrowv1.SyncOutcome
}

// syncResult is what one pass (or COPY load) measured.
type syncResult struct {
	name     string
	clients  int // 0 for COPY
	records  int
	rows     int // COPY only: rows written
	elapsed  time.Duration
	p50, p99 time.Duration   // per batch (API only)
	byBatch  []time.Duration // API only: each batch's latency, in batch order
	errors   int             // records with another outcome than wanted, or in failed calls
	errMsgs  []string        // the first maxSyncErrors errors
	cpu      cpuSample       // CPU used during the pass
	sql      *sqlTrace       // statements the server sent, with -sync-sql
}

func (r syncResult) rate() float64 { return float64(r.records) / r.elapsed.Seconds() }

// runSync runs the partner-sync benchmark and prints its table. It fails when a record
// has an unexpected outcome or the unchanged run is not faster than the first.
func runSync(ctx context.Context, cfg config) error {
	n := cfg.syncRecords
	fmt.Printf("partner sync: %d records (1 account + 1 contact + 1 deal each), %d per batch\n", n, syncBatchSize)

	// The floor first, in its own database, dropped before the API runs.
	copies, err := runCopies(ctx, cfg)
	if err != nil {
		return fmt.Errorf("COPY baseline: %w", err)
	}

	results := copies
	for _, clients := range slices.Compact([]int{1, cfg.syncClients}) {
		rs, err := runSyncAPI(ctx, cfg, clients)
		results = append(results, rs...)
		if err != nil {
			return err
		}
	}

	fmt.Println()
	printSyncTable(os.Stdout, results)
	var problems []string
	for _, r := range results {
		if r.errors > 0 {
			problems = append(problems, fmt.Sprintf("%s, %d client(s): %d records failed", r.name, r.clients, r.errors))
			fmt.Fprintf(os.Stderr, "\nsync %s, %d client(s): %d records with another outcome than wanted; the first:\n", r.name, r.clients, r.errors)
			for _, m := range r.errMsgs {
				fmt.Fprintf(os.Stderr, "  %s\n", m)
			}
		}
	}
	fmt.Println("\nmean batch latency in each tenth of the pass (how it changes as the tables grow):")
	for _, r := range results {
		if r.byBatch != nil {
			fmt.Printf("  %-13s %d client(s): %s\n", r.name, r.clients, tenths(r.byBatch))
		}
	}
	// Passes come in pairs: new records, then the same again.
	for i := len(copies); i+1 < len(results); i += 2 {
		first, second := results[i], results[i+1]
		faster := second.elapsed < first.elapsed
		fmt.Printf("run 2 faster than run 1 (%d client(s)): %s (%.2fs against %.2fs, %.1fx)\n",
			first.clients, yesNo(faster), second.elapsed.Seconds(), first.elapsed.Seconds(), first.elapsed.Seconds()/second.elapsed.Seconds())
		if !faster {
			problems = append(problems, fmt.Sprintf("run 2 was not faster than run 1 with %d client(s)", first.clients))
		}
	}
	for _, r := range results {
		if r.sql != nil {
			fmt.Printf("\nstatements the server sent in sync %s, %d client(s):\n", r.name, r.clients)
			r.sql.print(os.Stdout, r.records)
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// runSyncAPI starts the API over a fresh database and sends the records twice with
// clients clients: first they are new, then unchanged.
func runSyncAPI(ctx context.Context, cfg config, clients int) ([]syncResult, error) {
	dbURL, drop, err := createDatabase(ctx)
	if err != nil {
		return nil, err
	}
	defer drop()
	var trace *tracer
	var db *database.DB
	if cfg.syncSQL {
		trace = &tracer{}
		db, err = openTraced(ctx, dbURL, trace)
	} else {
		db, err = database.Open(ctx, dbURL)
	}
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	srv, stopServer, err := startServer(ctx, db)
	if err != nil {
		return nil, err
	}
	defer stopServer()
	partnerKey, err := makePartner(ctx, srv)
	if err != nil {
		return nil, err
	}
	conns := make([]furrowv1.SyncServiceClient, clients)
	for i := range conns {
		// One connection per client, as separate partner processes would have.
		conn, err := dial(srv.GRPCAddr(), partnerKey)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		conns[i] = furrowv1.NewSyncServiceClient(conn)
	}
	meter := newCPUMeter(db.DB, dbURL)
	var results []syncResult
	for _, p := range []syncPass{
		{name: "run 1 (new)", clients: clients, want: furrowv1.SyncOutcome_SYNC_OUTCOME_CREATED},
		{name: "run 2 (same)", clients: clients, want: furrowv1.SyncOutcome_SYNC_OUTCOME_UNCHANGED},
	} {
		fmt.Printf("running sync %-13s %d records, %d client(s)\n", p.name, cfg.syncRecords, p.clients)
		stopProfile, err := startProfile(cfg.cpuProfile, fmt.Sprintf("sync%d-%dc", len(results)+1, clients))
		if err != nil {
			return results, err
		}
		if trace != nil {
			trace.reset()
		}
		r, err := runSyncPass(ctx, conns, meter, p, cfg.syncRecords)
		stopProfile()
		if err != nil {
			return results, fmt.Errorf("sync %s: %w", p.name, err)
		}
		if trace != nil {
			r.sql = trace.snapshot()
		}
		results = append(results, r)
	}
	return results, nil
}

// runCopies loads the records with COPY into a fresh database: the data rows alone,
// then (after emptying the tables) with the bookkeeping rows the API writes as well.
func runCopies(ctx context.Context, cfg config) ([]syncResult, error) {
	dbURL, drop, err := createDatabase(ctx)
	if err != nil {
		return nil, err
	}
	defer drop()
	db, err := database.Open(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	meter := newCPUMeter(db.DB, dbURL)
	var out []syncResult
	for i, all := range []bool{false, true} {
		name := "COPY data"
		if all {
			name = "COPY all rows"
			// Empty again, so both loads start from empty tables.
			if _, err := db.ExecContext(ctx, "TRUNCATE accounts, account_external_ids, contacts, deals, stage_changes, primary_contact_changes, activities, sync_batches CASCADE"); err != nil {
				return nil, err
			}
		}
		fmt.Printf("running sync %-13s %d records\n", name, cfg.syncRecords)
		stopProfile, err := startProfile(cfg.cpuProfile, fmt.Sprintf("copy%d", i+1))
		if err != nil {
			return nil, err
		}
		c, err := copyLoad(ctx, db.DB, meter, syncPartnerID, 0, cfg.syncRecords, syncBatchSize, all)
		stopProfile()
		if err != nil {
			return nil, err
		}
		out = append(out, syncResult{name: name, records: c.records, rows: c.rows, elapsed: c.elapsed, cpu: c.cpu})
	}
	return out, nil
}

// makePartner creates the benchmark's partner as admin and returns a new partner key.
func makePartner(ctx context.Context, srv *server) (string, error) {
	conn, err := dial(srv.GRPCAddr(), srv.adminKey)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	access := furrowv1.NewAccessServiceClient(conn)
	if _, err := access.CreatePartner(ctx, &furrowv1.CreatePartnerRequest{
		PartnerId: syncPartnerID, Partner: &furrowv1.Partner{DisplayName: "Bench CRM"},
	}); err != nil {
		return "", fmt.Errorf("create partner: %w", err)
	}
	key, err := access.CreateApiKey(ctx, &furrowv1.CreateApiKeyRequest{ApiKey: &furrowv1.ApiKey{
		DisplayName: "sync", Role: furrowv1.Role_ROLE_PARTNER, Partner: "partners/" + syncPartnerID,
	}})
	if err != nil {
		return "", fmt.Errorf("create partner key: %w", err)
	}
	if key.GetKey() == "" {
		return "", errors.New("create partner key: the response has no secret")
	}
	return key.GetKey(), nil
}

// runSyncPass sends records [0, n) of p.set in batches, each client taking the next
// unsent batch when its previous call returns, and checks every result's outcome.
func runSyncPass(ctx context.Context, clients []furrowv1.SyncServiceClient, meter cpuMeter, p syncPass, n int) (syncResult, error) {
	batches := (n + syncBatchSize - 1) / syncBatchSize
	var next, finished atomic.Int64
	var mu sync.Mutex
	r := syncResult{name: p.name, clients: p.clients, records: n}
	byBatch := make([]time.Duration, batches)
	fail := func(k int, msg string) {
		mu.Lock()
		defer mu.Unlock()
		r.errors += k
		if len(r.errMsgs) < maxSyncErrors {
			r.errMsgs = append(r.errMsgs, msg)
		}
	}
	cpu0 := meter.sample(ctx)
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				b := int(next.Add(1)) - 1
				if b >= batches {
					return
				}
				lo, hi := b*syncBatchSize, min((b+1)*syncBatchSize, n)
				recs := syncBatch(0, lo, hi)
				cctx, cancel := context.WithTimeout(ctx, syncCallTimeout)
				t0 := time.Now()
				resp, err := c.BatchUpsertAccounts(cctx, &furrowv1.BatchUpsertAccountsRequest{RequestId: uuid.NewString(), Records: recs})
				d := time.Since(t0)
				cancel()
				byBatch[b] = d // only this client writes batch b
				if done := int(finished.Add(1)); done%progressEvery == 0 || done == batches {
					// Long passes leave a trace even when interrupted.
					fmt.Printf("  %s: %d/%d batches, %d records in %s\n", p.name, done, batches, min(done*syncBatchSize, n),
						time.Since(start).Round(time.Second))
				}
				if err != nil {
					fail(len(recs), fmt.Sprintf("batch %d (records %d-%d): %v", b, lo, hi-1, err))
					continue
				}
				checkOutcomes(recs, resp.GetResults(), p.want, fail)
			}
		})
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	if err := ctx.Err(); err != nil {
		return r, err
	}
	cpu1 := meter.sample(ctx)
	r.cpu = cpuSample{self: cpu1.self - cpu0.self, pg: cpu1.pg - cpu0.pg, pgOK: cpu0.pgOK && cpu1.pgOK}
	r.byBatch = byBatch
	latencies := slices.Clone(byBatch)
	slices.Sort(latencies)
	r.p50, r.p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
	return r, nil
}

// checkOutcomes reports through fail every record whose result is missing, out of
// order or not want.
func checkOutcomes(recs []*furrowv1.SyncRecord, results []*furrowv1.SyncResult, want furrowv1.SyncOutcome, fail func(int, string)) {
	if len(results) != len(recs) {
		fail(len(recs), fmt.Sprintf("%d results for %d records", len(results), len(recs)))
		return
	}
	for i, res := range results {
		switch {
		case res.GetExternalId() != recs[i].GetExternalId():
			fail(1, fmt.Sprintf("result %d is for %q, not %q", i, res.GetExternalId(), recs[i].GetExternalId()))
		case res.GetOutcome() != want:
			msg := fmt.Sprintf("%s: %s, want %s", res.GetExternalId(), res.GetOutcome(), want)
			if e := res.GetError(); e != nil {
				msg += fmt.Sprintf(" (code %d: %s)", e.GetCode(), e.GetMessage())
			}
			fail(1, msg)
		}
	}
}

// printSyncTable writes the partner-sync results, each compared with the first (the
// COPY of the data rows): ratio is how many times more records a second that loads.
func printSyncTable(w io.Writer, results []syncResult) {
	const format = "%-14s %7v %8v %8v %9v %8v %9v %9v %7v %8v %8v %6v\n"
	fmt.Fprintf(w, format, "pass", "clients", "records", "seconds", "records/s", "rows/s", "batch p50", "batch p99", "errors", "cpu/rec", "pg/rec", "ratio")
	for _, r := range results {
		clients, rows, p50, p99, vs := "-", "-", "-", "-", ""
		if r.clients > 0 {
			clients, p50, p99 = fmt.Sprint(r.clients), ms(r.p50), ms(r.p99)
		} else {
			rows = fmt.Sprintf("%.0f", float64(r.rows)/r.elapsed.Seconds())
		}
		if base := results[0]; r.name != base.name {
			vs = fmt.Sprintf("%.1f", base.rate()/r.rate())
		}
		pg := "-"
		if r.cpu.pgOK {
			pg = perRequest(r.cpu.pg, r.records)
		}
		fmt.Fprintf(w, format, r.name, clients, r.records, fmt.Sprintf("%.2f", r.elapsed.Seconds()), fmt.Sprintf("%.0f", r.rate()),
			rows, p50, p99, r.errors, perRequest(r.cpu.self, r.records), pg, vs)
	}
	fmt.Fprintf(w, "ratio = %s records/s ÷ the pass's records/s; rows/s counts every row COPY wrote\n", results[0].name)
}

// tenths returns the mean of each tenth of ds (fewer parts when there are fewer than
// ten), in milliseconds.
func tenths(ds []time.Duration) string {
	parts := min(10, len(ds))
	out := make([]string, 0, parts)
	for t := range parts {
		lo, hi := t*len(ds)/parts, (t+1)*len(ds)/parts
		var sum time.Duration
		for _, d := range ds[lo:hi] {
			sum += d
		}
		out = append(out, fmt.Sprintf("%.0f", float64(sum)/float64(hi-lo)/float64(time.Millisecond)))
	}
	return strings.Join(out, " ") + " ms"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

// startProfile starts a CPU profile written to path.suffix, when path is set, and
// returns what stops it.
func startProfile(path, suffix string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path + "." + suffix)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
