package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/account"
)

// The partner-sync baseline: the rows BatchUpsertAccounts writes for new records,
// loaded with PostgreSQL's COPY (lib/pq's COPY FROM STDIN, what pq.CopyIn builds) in
// one transaction, into a freshly migrated database with the same tables, indexes and
// constraints. It is the physical limit of getting those rows into PostgreSQL.

// copyTable is one COPY target: a table and the columns the API's inserts set.
type copyTable struct {
	name string
	cols []string
	// rows appends the table's rows for one record (and, for tables written once per
	// batch, for the batch: see copyBatch).
	rows func(r *copyRecord) [][]any
}

// copyRecord is one record with the ids and times the API would give it.
type copyRecord struct {
	rec                    *furrowv1.SyncRecord
	partner                string
	now                    time.Time
	account, contact, deal uuid.UUID
}

// dataTables are the tables that hold a record's data: its account, the partner's id
// for it, its contact and its deal (4 rows a record).
var dataTables = []copyTable{
	{
		name: "accounts",
		cols: []string{"id", "create_time", "update_time", "revision", "display_name", "name_norm", "tax_id", "tax_id_norm",
			"domain", "domain_norm", "industry", "region", "size", "revenue_tier", "strategic_role", "activity_status",
			"funnel_stage", "owner", "first_owner", "delete_time"},
		rows: func(r *copyRecord) [][]any {
			in := r.rec.GetAccount()
			a := account.Account{DisplayName: strings.TrimSpace(in.GetDisplayName()), TaxID: strings.TrimSpace(in.GetTaxId()),
				Domain: strings.TrimSpace(in.GetDomain())}
			k := a.Keys()
			return [][]any{{r.account, r.now, r.now, 1, a.DisplayName, k.Name, a.TaxID, k.TaxID,
				a.Domain, k.Domain, in.GetIndustry(), in.GetRegion(), "", "", "", "NEW",
				account.FunnelStages[0], "", "", nil}}
		},
	},
	{
		name: "account_external_ids",
		cols: []string{"system", "external_id", "account_deleted", "account_id"},
		rows: func(r *copyRecord) [][]any {
			return [][]any{{r.partner, r.rec.GetExternalId(), false, r.account}}
		},
	},
	{
		name: "contacts",
		cols: []string{"id", "create_time", "update_time", "revision", "display_name", "title", "email", "phone",
			"seniority_level", "decision_role", "attitude", "is_primary", "account_id", "external_id"},
		rows: func(r *copyRecord) [][]any {
			c := r.rec.GetContacts()[0]
			return [][]any{{r.contact, r.now, r.now, 1, c.GetContact().GetDisplayName(), c.GetContact().GetTitle(),
				strings.ToLower(c.GetContact().GetEmail()), "", "", "", "", true, r.account, c.GetExternalId()}}
		},
	},
	{
		name: "deals",
		cols: []string{"id", "create_time", "update_time", "revision", "currency_code", "amount_minor", "close_date",
			"kind", "product", "status", "is_first", "account_id", "external_id"},
		rows: func(r *copyRecord) [][]any {
			d := r.rec.GetDeals()[0]
			cd := d.GetDeal().GetCloseDate()
			return [][]any{{r.deal, r.now, r.now, 1, d.GetDeal().GetAmount().GetCurrencyCode(), d.GetDeal().GetAmount().GetMinorUnits(),
				fmt.Sprintf("%04d-%02d-%02d", cd.GetYear(), cd.GetMonth(), cd.GetDay()),
				"", d.GetDeal().GetProduct(), "WON", true, r.account, d.GetExternalId()}}
		},
	},
}

// bookkeepingTables are the other rows the API writes for a new record: the funnel
// stage and primary contact histories, and three activity log entries (account,
// contact and deal created; changed_fields is JSON null, as the API writes it). Values
// are shaped like the API's.
var bookkeepingTables = []copyTable{
	{
		name: "stage_changes",
		cols: []string{"id", "from_stage", "to_stage", "change_time", "account_id"},
		rows: func(r *copyRecord) [][]any {
			return [][]any{{uuid.Must(uuid.NewV7()), "", account.FunnelStages[0], r.now, r.account}}
		},
	},
	{
		name: "primary_contact_changes",
		cols: []string{"id", "from_contact_id", "to_contact_id", "reason", "change_time", "account_id"},
		rows: func(r *copyRecord) [][]any {
			return [][]any{{uuid.Must(uuid.NewV7()), nil, r.contact, "first contact", r.now, r.account}}
		},
	},
	{
		name: "activities",
		cols: []string{"create_time", "actor", "actor_role", "partner_id", "method", "resource", "action",
			"changed_fields", "request_id", "account_id"},
		rows: func(r *copyRecord) [][]any {
			const actor = "apiKeys/01970000-0000-7000-8000-000000000000"
			const method = "/furrow.v1.SyncService/BatchUpsertAccounts"
			const reqID = "01970000-0000-7000-8000-000000000001"
			acc := account.AccountName(r.account)
			return [][]any{
				{r.now, actor, "PARTNER", r.partner, method, acc, "create", "null", reqID, r.account},
				{r.now, actor, "PARTNER", r.partner, method, acc + "/contacts/" + r.contact.String(), "contact.create", "null", reqID, r.account},
				{r.now, actor, "PARTNER", r.partner, method, acc + "/deals/" + r.deal.String(), "deal.create", "null", reqID, r.account},
			}
		},
	},
}

// copyResult is what one COPY load measured.
type copyResult struct {
	records, rows int
	elapsed       time.Duration
	cpu           cpuSample // used during the load
}

// copyLoad loads records [0, n) of set s for partner into db, batch records at a
// time, with one COPY per table and batch, all in one transaction. With bookkeeping it
// also writes the history rows, activity entries and one sync_batches row per batch,
// as the API does.
func copyLoad(ctx context.Context, db *sql.DB, meter cpuMeter, partner string, s, n, batch int, bookkeeping bool) (copyResult, error) {
	tables := dataTables
	if bookkeeping {
		tables = append(append([]copyTable{}, dataTables...), bookkeepingTables...)
	}
	res := copyResult{records: n}
	cpu0 := meter.sample(ctx)
	start := time.Now()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return res, err
	}
	defer func() { _ = tx.Rollback() }()
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		now := time.Now().UTC().Truncate(time.Microsecond)
		recs := make([]copyRecord, 0, hi-lo)
		for _, r := range syncBatch(s, lo, hi) {
			recs = append(recs, copyRecord{rec: r, partner: partner, now: now,
				account: uuid.Must(uuid.NewV7()), contact: uuid.Must(uuid.NewV7()), deal: uuid.Must(uuid.NewV7())})
		}
		for _, t := range tables {
			k, err := copyRows(ctx, tx, t, recs)
			if err != nil {
				return res, fmt.Errorf("COPY %s: %w", t.name, err)
			}
			res.rows += k
		}
		if bookkeeping {
			k, err := copySyncBatch(ctx, tx, partner, recs)
			if err != nil {
				return res, fmt.Errorf("COPY sync_batches: %w", err)
			}
			res.rows += k
		}
	}
	if err := tx.Commit(); err != nil {
		return res, err
	}
	res.elapsed = time.Since(start)
	cpu1 := meter.sample(ctx)
	res.cpu = cpuSample{self: cpu1.self - cpu0.self, pg: cpu1.pg - cpu0.pg, pgOK: cpu0.pgOK && cpu1.pgOK}
	return res, nil
}

// copyRows COPYs t's rows for recs and returns how many it wrote.
func copyRows(ctx context.Context, tx *sql.Tx, t copyTable, recs []copyRecord) (int, error) {
	stmt, err := tx.PrepareContext(ctx, "COPY "+t.name+" ("+strings.Join(t.cols, ", ")+") FROM STDIN")
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	n := 0
	for i := range recs {
		for _, row := range t.rows(&recs[i]) {
			if _, err := stmt.ExecContext(ctx, row...); err != nil {
				return n, err
			}
			n++
		}
	}
	// An Exec without arguments ends the COPY and reports its errors.
	_, err = stmt.ExecContext(ctx)
	return n, err
}

// copySyncBatch writes the batch's stored results, as the API does for a request id.
func copySyncBatch(ctx context.Context, tx *sql.Tx, partner string, recs []copyRecord) (int, error) {
	type result struct {
		ExternalID string    `json:"external_id"`
		Outcome    string    `json:"outcome"`
		Account    uuid.UUID `json:"account"`
	}
	results := make([]result, len(recs))
	for i, r := range recs {
		results[i] = result{ExternalID: r.rec.GetExternalId(), Outcome: "CREATED", Account: r.account}
	}
	b, err := json.Marshal(results)
	if err != nil {
		return 0, err
	}
	stmt, err := tx.PrepareContext(ctx, "COPY sync_batches (partner_id, request_id, results, create_time) FROM STDIN")
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	if _, err := stmt.ExecContext(ctx, partner, uuid.NewString(), b, recs[0].now); err != nil {
		return 0, err
	}
	_, err = stmt.ExecContext(ctx)
	return 1, err
}
