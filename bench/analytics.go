package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/analytics"
	"github.com/furrowhq/furrow/internal/store"
)

// The analytics benchmark: -analytics-accounts accounts with -analytics-deals deals
// (CNY and USD, some open), -analytics-interactions interactions and a funnel history
// per account, loaded with COPY; then the asset inventory and the funnel of the last
// quarter, company-wide, through the analytics service (what the RPCs call), each
// -analytics-reps times, against each SQL aggregate they run, timed alone in the same
// run. Prints medians and the ratio of each report to its heaviest aggregate.

const analyticsScenario = "analytics"

// analyticsSeed seeds the generator.
const analyticsSeed = 20261202

// analyticsTiming is the runs of one measured thing.
type analyticsTiming struct {
	name string
	runs []time.Duration
}

func (t analyticsTiming) median() time.Duration {
	s := slices.Clone(t.runs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func timeIt(ctx context.Context, name string, reps int, fn func(context.Context) error) (analyticsTiming, error) {
	t := analyticsTiming{name: name}
	if err := fn(ctx); err != nil { // warm-up, unrecorded
		return t, fmt.Errorf("%s: %w", name, err)
	}
	for range reps {
		start := time.Now()
		if err := fn(ctx); err != nil {
			return t, fmt.Errorf("%s: %w", name, err)
		}
		t.runs = append(t.runs, time.Since(start))
	}
	return t, nil
}

// drain runs query and reads every row.
func drain(ctx context.Context, db *sql.DB, query string, args ...any) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	dest := make([]any, len(cols))
	for i := range dest {
		dest[i] = new(any)
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
	}
	return rows.Err()
}

func runAnalytics(ctx context.Context, cfg config) error {
	n, m, k := cfg.analyticsAccounts, cfg.analyticsDeals, cfg.analyticsInteractions
	fmt.Printf("analytics: %d accounts, %d deals, %d interactions, a funnel history per account; %d timed runs each (median)\n", n, m, k, cfg.analyticsReps)
	db, _, done, err := migratedDatabase(ctx)
	if err != nil {
		return err
	}
	defer done()
	start := time.Now()
	now := time.Now().UTC().Truncate(24 * time.Hour)
	ld, err := loadAnalytics(ctx, db.DB, mrand.New(mrand.NewPCG(analyticsSeed, analyticsSeed)), now, n, m, k)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	fmt.Printf("loaded %d accounts (%d deleted), %d deals (%d open), %d interactions, %d stage changes with COPY, then VACUUM ANALYZE, in %s\n",
		ld.accounts, ld.deleted, ld.deals, ld.open, ld.interactions, ld.stages, time.Since(start).Round(time.Millisecond))

	st := store.New(db).Analytics()
	svc := analytics.NewService(st, analytics.Options{})
	period := analytics.Period{Start: now.AddDate(0, 0, -91), End: now}
	fmt.Printf("period %s to %s (91 days), company-wide, default parameters\n", period.Start.Format(time.DateOnly), period.End.Format(time.DateOnly))
	measureAll := func(label string) error {
		inv, err := svc.AssetInventory(ctx, period, analytics.Segment{}, analytics.InventoryParams{})
		if err != nil {
			return err
		}
		fn, err := svc.Funnel(ctx, period, analytics.Segment{})
		if err != nil {
			return err
		}
		fmt.Printf("inventory: closed %d, pooled %d, repurchasing %d (rate %s), key %d (%d/%d/%d), at risk %d, recovered %d, churned %d, won back %d; funnel cohort %d\n",
			inv.ClosedCustomers, inv.PooledNotClosed, inv.Repurchasing, deref(inv.RepurchaseRate), inv.KeyAccounts, inv.High, inv.Mid, inv.Low,
			inv.AtRisk, inv.Recovered, inv.Churned, inv.WonBack, fn.Cohort)
		reps := cfg.analyticsReps
		_, sq, err := analytics.StateQueryFor(period, analytics.InventoryParams{})
		if err != nil {
			return err
		}
		var ts []analyticsTiming
		add := func(name string, fn func(context.Context) error) error {
			t, err := timeIt(ctx, name, reps, fn)
			ts = append(ts, t)
			return err
		}
		seg := analytics.Segment{}
		steps := []struct {
			name string
			fn   func(context.Context) error
		}{
			{"GetAssetInventory (service)", func(ctx context.Context) error {
				_, err := svc.AssetInventory(ctx, period, seg, analytics.InventoryParams{})
				return err
			}},
			{"  period deals alone", func(ctx context.Context) error {
				_, err := st.PeriodDeals(ctx, seg, period.Start, period.End)
				return err
			}},
			{"  account states alone", func(ctx context.Context) error {
				q, args := st.AccountStatesSQL(seg, sq)
				return drain(ctx, db.DB, q, args...)
			}},
			{"GetFunnel (service)", func(ctx context.Context) error { _, err := svc.Funnel(ctx, period, seg); return err }},
			{"  funnel statement alone", func(ctx context.Context) error {
				q, args := st.FunnelSQL(seg, period.Start, period.End, analytics.Stages)
				return drain(ctx, db.DB, q, args...)
			}},
		}
		for _, s := range steps {
			if err := add(s.name, s.fn); err != nil {
				return err
			}
		}
		printAnalyticsTable(os.Stdout, label, ts)
		if cfg.analyticsExplain {
			q, args := st.AccountStatesSQL(seg, sq)
			rows, err := db.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+q, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			fmt.Println("\nEXPLAIN ANALYZE of the account states statement:")
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					return err
				}
				fmt.Println(line)
			}
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	}
	if err := measureAll("as migrated"); err != nil {
		return err
	}
	if cfg.analyticsIndex != "" {
		for stmt := range strings.SplitSeq(cfg.analyticsIndex, ";") {
			if stmt = strings.TrimSpace(stmt); stmt == "" {
				continue
			}
			t0 := time.Now()
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("%s: %w", stmt, err)
			}
			fmt.Printf("\n%s (%s)\n", stmt, time.Since(t0).Round(time.Millisecond))
		}
		if _, err := db.ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
			return err
		}
		if err := measureAll("with -analytics-index"); err != nil {
			return err
		}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

// printAnalyticsTable prints each timing's median and range; a report's ratio is to the
// slowest single-statement aggregate listed under it.
func printAnalyticsTable(w io.Writer, label string, ts []analyticsTiming) {
	fmt.Fprintf(w, "\n%-36s %10s %10s %10s %8s   (%s)\n", "", "median", "min", "max", "ratio", label)
	for i, t := range ts {
		ratio := ""
		if !strings.HasPrefix(t.name, " ") {
			var heaviest time.Duration
			for _, u := range ts[i+1:] {
				if !strings.HasPrefix(u.name, " ") {
					break
				}
				heaviest = max(heaviest, u.median())
			}
			if heaviest > 0 {
				ratio = fmt.Sprintf("%.2fx", float64(t.median())/float64(heaviest))
			}
		}
		fmt.Fprintf(w, "%-36s %10s %10s %10s %8s\n", t.name, ms(t.median()), ms(slices.Min(t.runs)), ms(slices.Max(t.runs)), ratio)
	}
}

// analyticsLoad is what loadAnalytics wrote.
type analyticsLoad struct {
	accounts, deleted, deals, open, interactions, stages int
}

// loadAnalytics writes the data with COPY: accounts created over the last three years
// (2 % deleted), deals spread over the accounts (a skewed count per account, dates
// after the account's creation, 85 % CNY, 10 % open, is_first on each account's
// earliest won deal by (close_date, id) as the account service keeps it),
// interactions over the last two years, and each account's stage history from
// exposure at creation, stopping at a random stage (some skip one).
func loadAnalytics(ctx context.Context, db *sql.DB, r *mrand.Rand, now time.Time, n, m, k int) (analyticsLoad, error) {
	var out analyticsLoad
	industries := []string{"manufacturing", "retail", "healthcare", "education", "finance", "logistics", "software", "energy"}
	regions := []string{"east-china", "north-china", "south-china", "west-china", "europe", "north-america"}
	type acc struct {
		id      uuid.UUID
		created time.Time
		weight  float64
	}
	accs := make([]acc, n)
	total := 0.0
	for i := range accs {
		accs[i] = acc{id: uuid.Must(uuid.NewV7()), created: now.Add(-time.Duration(r.Int64N(int64(3 * 365 * healthDay)))).Truncate(time.Microsecond),
			weight: min(50, 1/(1-r.Float64()*0.98))}
		total += accs[i].weight
	}
	var err error
	out.accounts, err = copyTx(ctx, db, "accounts", []string{"id", "create_time", "update_time", "revision", "display_name", "name_norm",
		"tax_id", "tax_id_norm", "domain", "domain_norm", "industry", "region", "size", "revenue_tier", "strategic_role",
		"activity_status", "funnel_stage", "owner", "first_owner", "delete_time"},
		func(emit func(...any) error) error {
			for i, a := range accs {
				ind := industries[r.IntN(len(industries))]
				ac := account.Account{DisplayName: fmt.Sprintf("Analytics %s %d Ltd", ind, i), Domain: fmt.Sprintf("analytics-%d.example.com", i)}
				keys := ac.Keys()
				var deleted any
				if r.IntN(50) == 0 {
					deleted = now
					out.deleted++
				}
				owner := fmt.Sprintf("owner%d@example.com", r.IntN(200))
				if err := emit(a.id, a.created, a.created, 1, ac.DisplayName, keys.Name, "", "", ac.Domain, keys.Domain, ind,
					regions[r.IntN(len(regions))], account.Sizes[r.IntN(len(account.Sizes))],
					account.RevenueTiers[r.IntN(len(account.RevenueTiers))], "", "ACTIVE", "EXPOSURE", owner, owner, deleted); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return out, fmt.Errorf("COPY accounts: %w", err)
	}
	// Deals per account in proportion to its weight, m in all.
	counts := make([]int, n)
	left := m
	for i, a := range accs {
		c := int(float64(m) * a.weight / total)
		counts[i] = c
		left -= c
	}
	for ; left > 0; left-- {
		counts[r.IntN(n)]++
	}
	type deal struct {
		closed time.Time
		open   bool
	}
	out.deals, err = copyTx(ctx, db, "deals", []string{"id", "create_time", "update_time", "revision", "currency_code", "amount_minor",
		"close_date", "kind", "product", "status", "is_first", "account_id", "external_id"},
		func(emit func(...any) error) error {
			var ds []deal
			for i, a := range accs {
				ds = ds[:0]
				span := int(now.Sub(a.created)/healthDay) + 1
				for range counts[i] {
					ds = append(ds, deal{closed: a.created.Truncate(healthDay).Add(time.Duration(r.IntN(span)) * healthDay), open: r.IntN(10) == 0})
				}
				// Ids are made in this order, so (close_date, id) order is this order.
				slices.SortStableFunc(ds, func(x, y deal) int { return x.closed.Compare(y.closed) })
				first := true
				for _, d := range ds {
					status, isFirst, kind := account.StatusWon, false, ""
					if d.open {
						status = account.StatusOpen
						out.open++
					} else if first {
						isFirst, first, kind = true, false, ""
					}
					cur, amount := "CNY", int64(10_000+r.IntN(50_000_000))
					if r.IntN(100) < 15 {
						cur, amount = "USD", int64(1_000+r.IntN(7_000_000))
					}
					if err := emit(uuid.Must(uuid.NewV7()), d.closed, d.closed, 1, cur, amount, d.closed.Format(time.DateOnly), kind,
						"Annual licence", status, isFirst, accs[i].id, ""); err != nil {
						return err
					}
				}
			}
			return nil
		})
	if err != nil {
		return out, fmt.Errorf("COPY deals: %w", err)
	}
	from := now.Add(-730 * healthDay)
	out.interactions, err = copyTx(ctx, db, "interactions", []string{"id", "create_time", "update_time", "revision", "kind",
		"occur_time", "participants", "summary", "account_id"},
		func(emit func(...any) error) error {
			for range k {
				a := accs[r.IntN(n)]
				lo := a.created
				if lo.Before(from) {
					lo = from
				}
				t := lo.Add(time.Duration(r.Int64N(int64(now.Sub(lo)) + 1))).Truncate(time.Microsecond)
				if err := emit(uuid.Must(uuid.NewV7()), t, t, 1, account.InteractionKinds[r.IntN(len(account.InteractionKinds))],
					t, nil, "Bench interaction", a.id); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return out, fmt.Errorf("COPY interactions: %w", err)
	}
	out.stages, err = copyTx(ctx, db, "stage_changes", []string{"id", "account_id", "from_stage", "to_stage", "change_time"},
		func(emit func(...any) error) error {
			for _, a := range accs {
				t, prev := a.created, ""
				if err := emit(uuid.Must(uuid.NewV7()), a.id, prev, analytics.Stages[0], t); err != nil {
					return err
				}
				prev = analytics.Stages[0]
				for s := 1; s < len(analytics.Stages); s++ {
					if r.IntN(10) < 4 { // 40 % stop here
						break
					}
					if r.IntN(20) == 0 && s+1 < len(analytics.Stages) { // 5 % skip a stage
						s++
					}
					t = t.Add(time.Duration(r.Int64N(int64(60 * healthDay)))).Truncate(time.Microsecond)
					if t.After(now) {
						break
					}
					if err := emit(uuid.Must(uuid.NewV7()), a.id, prev, analytics.Stages[s], t); err != nil {
						return err
					}
					prev = analytics.Stages[s]
				}
			}
			return nil
		})
	if err != nil {
		return out, fmt.Errorf("COPY stage_changes: %w", err)
	}
	if _, err := db.ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
		return out, fmt.Errorf("VACUUM ANALYZE: %w", err)
	}
	return out, nil
}
