package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/ent"
	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/store"
)

// defaultAdminURL is where the benchmark looks for PostgreSQL unless
// FURROW_BENCH_DATABASE_URL or FURROW_TEST_DATABASE_URL says otherwise.
const defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// chunkSize is how many rows one bulk INSERT writes: 1000 accounts × 20 columns stays
// well under PostgreSQL's 65,535 parameters per statement.
const chunkSize = 1000

// adminURL returns the URL of the PostgreSQL server to create the database on.
func adminURL() string {
	for _, k := range []string{"FURROW_BENCH_DATABASE_URL", "FURROW_TEST_DATABASE_URL"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return defaultAdminURL
}

// migratedDatabase creates a fresh database (createDatabase), opens it and applies the
// committed migrations; done closes it and drops it.
func migratedDatabase(ctx context.Context) (db *database.DB, dbURL string, done func(), err error) {
	dbURL, drop, err := createDatabase(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	if db, err = database.Open(ctx, dbURL); err != nil {
		drop()
		return nil, "", nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		drop()
		return nil, "", nil, err
	}
	return db, dbURL, func() { db.Close(); drop() }, nil
}

// createDatabase creates an empty database furrow_bench_<random> and returns its URL
// and a function that drops it (WITH (FORCE), so open connections do not block it).
func createDatabase(ctx context.Context) (dbURL string, drop func(), err error) {
	admin := adminURL()
	u, err := url.Parse(admin)
	if err != nil {
		return "", nil, fmt.Errorf("PostgreSQL URL: %w", err)
	}
	adb, err := sql.Open("postgres", admin)
	if err != nil {
		return "", nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := adb.PingContext(pctx); err != nil {
		adb.Close()
		return "", nil, fmt.Errorf("cannot reach PostgreSQL at %s (set FURROW_BENCH_DATABASE_URL): %w", u.Redacted(), err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "furrow_bench_" + hex.EncodeToString(b)
	if _, err := adb.ExecContext(pctx, "CREATE DATABASE "+name); err != nil {
		adb.Close()
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	drop = func() {
		if os.Getenv("FURROW_BENCH_KEEP") != "" {
			fmt.Printf("kept database %s\n", name)
			return
		}
		// ctx may be cancelled by now (Ctrl-C): dropping gets its own deadline.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := adb.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "bench: drop database %s: %v\n", name, err)
		} else {
			fmt.Printf("dropped database %s\n", name)
		}
		adb.Close()
	}
	u.Path = "/" + name
	fmt.Printf("created database %s\n", name)
	return u.String(), drop, nil
}

// reuseDatabase returns the URL of name, a database an earlier run kept, after checking
// that it is one (the health scenario empties its health tables).
func reuseDatabase(ctx context.Context, name string) (string, error) {
	if !strings.HasPrefix(name, "furrow_bench_") {
		return "", fmt.Errorf("%q is not a database the benchmark created (furrow_bench_...)", name)
	}
	u, err := url.Parse(adminURL())
	if err != nil {
		return "", fmt.Errorf("PostgreSQL URL: %w", err)
	}
	u.Path = "/" + name
	db, err := sql.Open("postgres", u.String())
	if err != nil {
		return "", err
	}
	defer db.Close()
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		return "", fmt.Errorf("reuse database %s: %w", name, err)
	}
	fmt.Printf("reusing database %s\n", name)
	return u.String(), nil
}

// dataset is what load wrote.
type dataset struct {
	ids      []uuid.UUID // every account
	byCreate []cursor    // every account in list order (create_time, id)
	labels   int
	contacts int
}

// cursor is an account's position in the default list order.
type cursor struct {
	createTime time.Time
	id         uuid.UUID
}

// randomID returns a random loaded account's id.
func (d *dataset) randomID() uuid.UUID { return d.ids[mrand.IntN(len(d.ids))] }

// load writes n accounts, each with a primary contact, a third of them with one or two
// labels, in bulk INSERTs through the ent client, then ANALYZEs so the planner sees
// the real table sizes (as it would in production after autovacuum).
func load(ctx context.Context, db *database.DB, n int) (*dataset, error) {
	c := store.New(db).Client()
	now := time.Now().UTC().Truncate(time.Microsecond)
	const history = 2 * 365 * 24 * time.Hour
	// Word lists for names; labels are what sales teams tag accounts with.
	brands := []string{"Northwind", "Bluepeak", "Silverline", "Redwood", "Ironbridge", "Evergreen", "Summit", "Harbor", "Granite", "Meridian", "Kestrel", "Orion", "Vantage", "Juniper", "Cobalt", "Falcon"}
	industries := []string{"manufacturing", "retail", "healthcare", "education", "finance", "logistics", "software", "energy"}
	regions := []string{"east-china", "north-china", "south-china", "west-china", "europe", "north-america"}
	labelSet := []string{"vip", "partner", "churn-risk", "enterprise", "beta", "public-sector", "referral", "renewal-q3"}
	d := &dataset{ids: make([]uuid.UUID, 0, n), byCreate: make([]cursor, 0, n)}
	for lo := 0; lo < n; lo += chunkSize {
		hi := min(lo+chunkSize, n)
		accounts := make([]*ent.AccountCreate, 0, hi-lo)
		contacts := make([]*ent.ContactCreate, 0, hi-lo)
		var labels []*ent.AccountLabelCreate
		for i := lo; i < hi; i++ {
			id, err := uuid.NewV7()
			if err != nil {
				return nil, err
			}
			cid, err := uuid.NewV7()
			if err != nil {
				return nil, err
			}
			created := now.Add(-time.Duration(mrand.Int64N(int64(history)))).Truncate(time.Microsecond)
			updated := created.Add(time.Duration(mrand.Int64N(int64(now.Sub(created)) + 1))).Truncate(time.Microsecond)
			brand := brands[mrand.IntN(len(brands))]
			ind := industries[mrand.IntN(len(industries))]
			a := account.Account{
				DisplayName: fmt.Sprintf("%s %s %d Ltd", brand, ind, i),
				Domain:      fmt.Sprintf("%s-%s-%d.example.com", brand, ind, i),
			}
			k := a.Keys()
			accounts = append(accounts, c.Account.Create().
				SetID(id).SetDisplayName(a.DisplayName).SetNameNorm(k.Name).
				SetDomain(a.Domain).SetDomainNorm(k.Domain).
				SetIndustry(ind).SetRegion(regions[mrand.IntN(len(regions))]).
				SetSize(account.Sizes[mrand.IntN(len(account.Sizes))]).
				SetActivityStatus("ACTIVE").SetFunnelStage("LEAD").
				SetCreateTime(created).SetUpdateTime(updated).SetRevision(1))
			contacts = append(contacts, c.Contact.Create().
				SetID(cid).SetAccountID(id).SetDisplayName(fmt.Sprintf("Contact %d", i)).
				SetTitle("Head of Purchasing").SetEmail(fmt.Sprintf("buyer%d@example.com", i)).
				SetIsPrimary(true).SetCreateTime(created).SetUpdateTime(created).SetRevision(1))
			if mrand.IntN(3) == 0 {
				for _, j := range mrand.Perm(len(labelSet))[:1+mrand.IntN(2)] {
					labels = append(labels, c.AccountLabel.Create().SetAccountID(id).SetLabel(labelSet[j]))
				}
			}
			d.ids = append(d.ids, id)
			d.byCreate = append(d.byCreate, cursor{createTime: created, id: id})
		}
		if err := c.Account.CreateBulk(accounts...).Exec(ctx); err != nil {
			return nil, err
		}
		if err := c.Contact.CreateBulk(contacts...).Exec(ctx); err != nil {
			return nil, err
		}
		if len(labels) > 0 {
			if err := c.AccountLabel.CreateBulk(labels...).Exec(ctx); err != nil {
				return nil, err
			}
		}
		d.contacts += len(contacts)
		d.labels += len(labels)
	}
	if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
		return nil, err
	}
	slices.SortFunc(d.byCreate, func(a, b cursor) int {
		return cmp.Or(a.createTime.Compare(b.createTime), slices.Compare(a.id[:], b.id[:]))
	})
	return d, nil
}
