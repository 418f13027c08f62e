package main

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/account"
)

// Health benchmark data: accounts, the signals the default scorecard reads, and
// (unless -health-archive=false) the contacts, interactions and won deals its derived
// relationship measures read. Everything is generated from a fixed seed, so two runs
// load the same shape of data (ids are fresh UUIDv7s), and written with COPY: loading
// is setup, not measured.

// healthSeed seeds the generator.
const healthSeed = 20261123

// healthDay is a day.
const healthDay = 24 * time.Hour

// signalMeasure is one signal measure key of the default scorecard and how the
// generator makes its signals.
type signalMeasure struct {
	key    string
	source string  // the sending system, as an integration would set it
	share  float64 // of all signals
	// value returns one signal's value in micro-units.
	value func(r *mrand.Rand) int64
}

// healthMeasures are the default scorecard's signal measures (internal/health/defaults.go)
// with the share of the signals each gets and what a value looks like. The shares sum
// to 1: logins are daily counts and the most frequent, surveys (trust) the rarest.
var healthMeasures = []signalMeasure{
	// Daily login count, 0–20, most days a few.
	{key: "logins", source: "product-analytics", share: 0.45, value: func(r *mrand.Rand) int64 {
		return int64(min(20, int(r.ExpFloat64()*4))) * 1e6
	}},
	// Share of published content the account read, 0–1.
	{key: "content_read_rate", source: "marketing", share: 0.17, value: func(r *mrand.Rand) int64 {
		return int64(math.Round(math.Pow(r.Float64(), 1.5) * 1e6))
	}},
	// Distinct features used in the reporting period, 0–14 (the scorecard's range is 0–10).
	{key: "features_used", source: "product-analytics", share: 0.12, value: func(r *mrand.Rand) int64 {
		return int64(r.IntN(8)+r.IntN(8)) * 1e6
	}},
	// One content share.
	{key: "shares", source: "marketing", share: 0.10, value: func(*mrand.Rand) int64 { return 1e6 }},
	// One feature request.
	{key: "feature_requests", source: "product-analytics", share: 0.06, value: func(*mrand.Rand) int64 { return 1e6 }},
	// One event attended.
	{key: "events_attended", source: "marketing", share: 0.05, value: func(*mrand.Rand) int64 { return 1e6 }},
	// A survey's trust rating, 1–5, mostly 3–5.
	{key: "trust_rating", source: "survey", share: 0.05, value: func(r *mrand.Rand) int64 {
		return int64([]int{1, 2, 3, 3, 4, 4, 4, 5, 5, 5}[r.IntN(10)]) * 1e6
	}},
}

// genAccount is one generated account's activity profile.
type genAccount struct {
	id     uuid.UUID
	weight float64 // relative share of the signals; 0 for an idle account
	end    int64   // unix µs: when its activity stops (now for most)
}

// genSignal is one generated signal, kept small: 2,000,000 take 48 MB until loaded.
type genSignal struct {
	at      int64 // unix µs
	value   int64 // micro-units
	account int32 // index into the accounts
	measure uint8 // index into healthMeasures
}

// healthData is what genHealth generated.
type healthData struct {
	now      time.Time // the generation time: every signal is at or before it
	accounts []genAccount
	signals  []genSignal // in time order, as they would have arrived
	idle     int         // accounts without signals
	churned  int         // accounts whose signals stop 30–300 days before now
}

// genHealth generates n accounts and m signals over the year before now, with a skew
// a customer base has: about 15 % of accounts send nothing, the others send signals in
// proportion to a Pareto weight (a few very busy accounts, a long tail of quiet ones),
// and a fifth of the active ones stopped 30–300 days ago (churning).
func genHealth(r *mrand.Rand, now time.Time, n, m int) *healthData {
	now = now.UTC().Truncate(time.Microsecond)
	d := &healthData{now: now, accounts: make([]genAccount, n)}
	nowUS := now.UnixMicro()
	start := now.Add(-365 * healthDay).UnixMicro()
	cum := make([]float64, n) // cumulative weights, to pick an account per signal
	total := 0.0
	for i := range d.accounts {
		a := &d.accounts[i]
		a.id = uuid.Must(uuid.NewV7())
		a.end = nowUS
		if r.Float64() < 0.15 {
			d.idle++
		} else {
			// Pareto, α = 1.3, capped: the busiest accounts send ~100x the median's signals.
			a.weight = min(300, math.Pow(1-r.Float64(), -1/1.3))
			if r.Float64() < 0.2 {
				a.end = nowUS - int64(30+r.IntN(271))*healthDay.Microseconds()
				d.churned++
			}
		}
		total += a.weight
		cum[i] = total
	}
	if total == 0 { // tiny n: make sure someone sends the signals
		d.accounts[0].weight, cum[0], total, d.idle = 1, 1, 1, d.idle-1
		for i := 1; i < n; i++ {
			cum[i] = 1
		}
	}
	shares := make([]float64, len(healthMeasures))
	s := 0.0
	for i, hm := range healthMeasures {
		s += hm.share
		shares[i] = s
	}
	d.signals = make([]genSignal, m)
	for k := range d.signals {
		ai, _ := slices.BinarySearch(cum, r.Float64()*total)
		for ai < n-1 && d.accounts[ai].weight == 0 { // an idle account's cumulative weight equals its predecessor's
			ai++
		}
		mi, _ := slices.BinarySearch(shares, r.Float64()*s)
		mi = min(mi, len(healthMeasures)-1)
		a := &d.accounts[ai]
		d.signals[k] = genSignal{
			at:      start + r.Int64N(a.end-start+1),
			value:   healthMeasures[mi].value(r),
			account: int32(ai),
			measure: uint8(mi),
		}
	}
	slices.SortFunc(d.signals, func(x, y genSignal) int { return cmp.Compare(x.at, y.at) })
	return d
}

// healthLoad is what loadHealth wrote.
type healthLoad struct {
	accounts, signals, contacts, interactions, deals int
}

// loadHealth writes d into db with COPY, one transaction per table: the accounts, the
// signals in the order they would have arrived and, with archive, each account's
// contacts (1–4, the first primary, random seniority levels), interactions (idle
// accounts 0–1 long ago, active ones 0–2 plus more the busier they are, up to 12) and
// won deals (0–3 in the last two years, the earliest the first purchase). Then
// VACUUM ANALYZE, so the planner knows the sizes and the first reads do not set hint
// bits: the state autovacuum leaves a production database in.
func loadHealth(ctx context.Context, db *sql.DB, r *mrand.Rand, d *healthData, archive bool) (healthLoad, error) {
	var out healthLoad
	now := d.now
	industries := []string{"manufacturing", "retail", "healthcare", "education", "finance", "logistics", "software", "energy"}
	regions := []string{"east-china", "north-china", "south-china", "west-china", "europe", "north-america"}
	var err error
	out.accounts, err = copyTx(ctx, db, "accounts", []string{"id", "create_time", "update_time", "revision", "display_name", "name_norm",
		"tax_id", "tax_id_norm", "domain", "domain_norm", "industry", "region", "size", "revenue_tier", "strategic_role",
		"activity_status", "funnel_stage", "owner", "first_owner", "delete_time"},
		func(emit func(...any) error) error {
			for i, ga := range d.accounts {
				created := now.Add(-time.Duration(400+r.IntN(330)) * healthDay).Add(-time.Duration(r.Int64N(int64(healthDay))))
				created = created.Truncate(time.Microsecond)
				ind := industries[r.IntN(len(industries))]
				a := account.Account{DisplayName: fmt.Sprintf("Health %s %d Ltd", ind, i), Domain: fmt.Sprintf("health-%d.example.com", i)}
				k := a.Keys()
				if err := emit(ga.id, created, created, 1, a.DisplayName, k.Name, "", "", a.Domain, k.Domain, ind,
					regions[r.IntN(len(regions))], account.Sizes[r.IntN(len(account.Sizes))],
					account.RevenueTiers[r.IntN(len(account.RevenueTiers))], "", "ACTIVE", "DELIVERY", "", "", nil); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return out, fmt.Errorf("COPY accounts: %w", err)
	}

	out.signals, err = copyTx(ctx, db, "signals", []string{"id", "account_id", "measure", "value_micros", "time", "source", "signal_id", "create_time"},
		func(emit func(...any) error) error {
			for k, s := range d.signals {
				hm := &healthMeasures[s.measure]
				at := time.UnixMicro(s.at).UTC()
				// Received a few minutes after it happened (never after now).
				created := time.UnixMicro(min(s.at+r.Int64N(10*time.Minute.Microseconds()), now.UnixMicro())).UTC()
				if err := emit(uuid.Must(uuid.NewV7()), d.accounts[s.account].id, hm.key, s.value, at, hm.source,
					fmt.Sprintf("evt-%08d", k), created); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return out, fmt.Errorf("COPY signals: %w", err)
	}

	if archive {
		levels := append([]string{""}, account.SeniorityLevels...)
		titles := []string{"Head of Purchasing", "CTO", "Operations Manager", "Finance Director", "IT Lead"}
		out.contacts, err = copyTx(ctx, db, "contacts", []string{"id", "create_time", "update_time", "revision", "display_name", "title",
			"email", "phone", "seniority_level", "decision_role", "attitude", "is_primary", "account_id", "external_id"},
			func(emit func(...any) error) error {
				for i, ga := range d.accounts {
					for c := range 1 + r.IntN(4) {
						t := now.Add(-time.Duration(r.IntN(700)) * healthDay)
						if err := emit(uuid.Must(uuid.NewV7()), t, t, 1, fmt.Sprintf("Contact %d-%d", i, c), titles[r.IntN(len(titles))],
							fmt.Sprintf("c%d@health-%d.example.com", c, i), "", levels[r.IntN(len(levels))], "", "", c == 0, ga.id, ""); err != nil {
							return err
						}
					}
				}
				return nil
			})
		if err != nil {
			return out, fmt.Errorf("COPY contacts: %w", err)
		}
		start := now.Add(-365 * healthDay).UnixMicro()
		out.interactions, err = copyTx(ctx, db, "interactions", []string{"id", "create_time", "update_time", "revision", "kind",
			"occur_time", "participants", "summary", "account_id"},
			func(emit func(...any) error) error {
				for _, ga := range d.accounts {
					lo, hi, n := start, ga.end, r.IntN(3)+min(10, int(ga.weight))
					if ga.weight == 0 { // idle: maybe one, long ago
						lo, hi, n = now.Add(-730*healthDay).UnixMicro(), now.Add(-200*healthDay).UnixMicro(), r.IntN(2)
					}
					for range n {
						t := time.UnixMicro(lo + r.Int64N(hi-lo+1)).UTC()
						if err := emit(uuid.Must(uuid.NewV7()), t, t, 1, account.InteractionKinds[r.IntN(len(account.InteractionKinds))],
							t, nil, "Bench interaction", ga.id); err != nil {
							return err
						}
					}
				}
				return nil
			})
		if err != nil {
			return out, fmt.Errorf("COPY interactions: %w", err)
		}
		out.deals, err = copyTx(ctx, db, "deals", []string{"id", "create_time", "update_time", "revision", "currency_code", "amount_minor",
			"close_date", "kind", "product", "status", "is_first", "account_id", "external_id"},
			func(emit func(...any) error) error {
				for _, ga := range d.accounts {
					days := make([]int, r.IntN(4))
					for j := range days {
						days[j] = r.IntN(730)
					}
					slices.Sort(days)
					slices.Reverse(days) // oldest (most days ago) first
					for j, ago := range days {
						closed := now.Add(-time.Duration(ago) * healthDay)
						kind := account.KindRepurchase
						if j == 0 {
							kind = account.KindFirstPurchase
						}
						if err := emit(uuid.Must(uuid.NewV7()), closed, closed, 1, "CNY", int64(100_000+r.IntN(10_000_000)),
							closed.Format(time.DateOnly), kind, "Annual licence", account.StatusWon, j == 0, ga.id, ""); err != nil {
							return err
						}
					}
				}
				return nil
			})
		if err != nil {
			return out, fmt.Errorf("COPY deals: %w", err)
		}
	}
	if _, err := db.ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
		return out, fmt.Errorf("VACUUM ANALYZE: %w", err)
	}
	return out, nil
}

// copyTx COPYs the rows rows emits into table's columns cols, in one transaction, and
// returns how many it wrote.
func copyTx(ctx context.Context, db *sql.DB, table string, cols []string, rows func(emit func(...any) error) error) (int, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback() }()
	// lib/pq's COPY FROM STDIN (what the deprecated pq.CopyIn builds).
	stmt, err := tx.PrepareContext(ctx, "COPY "+table+" ("+strings.Join(cols, ", ")+") FROM STDIN")
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	n := 0
	if err := rows(func(row ...any) error {
		n++
		_, err := stmt.ExecContext(ctx, row...)
		return err
	}); err != nil {
		return n, err
	}
	// An Exec without arguments ends the COPY and reports its errors.
	if _, err := stmt.ExecContext(ctx); err != nil {
		return n, err
	}
	return n, tx.Commit()
}
