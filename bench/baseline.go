package main

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
)

// The baselines do the reads the API does, with database/sql and lib/pq and nothing
// else: the account rows, then its labels, external ids and primary contact id, one
// query each for all the rows (what ent's eager loading does). They are the floor the
// API scenarios are measured against.

// accountColumns are the columns of accounts, in the order ent selects them.
const accountColumns = `id, create_time, update_time, revision, display_name, name_norm,
	tax_id, tax_id_norm, domain, domain_norm, industry, region, size, revenue_tier,
	strategic_role, activity_status, funnel_stage, owner, first_owner, delete_time`

// accountRow is an account as the baselines read it.
type accountRow struct {
	id                     uuid.UUID
	createTime, updateTime time.Time
	revision               int64
	displayName, nameNorm  string
	taxID, taxIDNorm       string
	domain, domainNorm     string
	industry, region, size string
	revenueTier            string
	strategicRole          string
	activityStatus         string
	funnelStage            string
	owner, firstOwner      string
	deleteTime             sql.NullTime
	labels                 []string
	externalIDs            map[string]string
	primaryContact         uuid.UUID
}

// scanAccount scans accountColumns.
func scanAccount(s interface{ Scan(...any) error }) (*accountRow, error) {
	var a accountRow
	err := s.Scan(&a.id, &a.createTime, &a.updateTime, &a.revision, &a.displayName, &a.nameNorm,
		&a.taxID, &a.taxIDNorm, &a.domain, &a.domainNorm, &a.industry, &a.region, &a.size,
		&a.revenueTier, &a.strategicRole, &a.activityStatus, &a.funnelStage, &a.owner,
		&a.firstOwner, &a.deleteTime)
	return &a, err
}

// getAccountSQL reads account id with its details.
func getAccountSQL(ctx context.Context, db *sql.DB, id uuid.UUID) (*accountRow, error) {
	a, err := scanAccount(db.QueryRowContext(ctx, "SELECT "+accountColumns+" FROM accounts WHERE id = $1", id))
	if err != nil {
		return nil, err
	}
	return a, loadDetails(ctx, db, []*accountRow{a})
}

// listAccountsSQL reads up to limit live accounts after the cursor in (create_time, id)
// order, with their details.
func listAccountsSQL(ctx context.Context, db *sql.DB, after cursor, limit int) ([]*accountRow, error) {
	rows, err := db.QueryContext(ctx, "SELECT "+accountColumns+` FROM accounts
		WHERE delete_time IS NULL AND (create_time, id) > ($1, $2)
		ORDER BY create_time, id LIMIT $3`, after.createTime, after.id, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*accountRow
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, loadDetails(ctx, db, out)
}

// loadDetails reads the labels, external ids and primary contact ids of as.
func loadDetails(ctx context.Context, db *sql.DB, as []*accountRow) error {
	byID := make(map[uuid.UUID]*accountRow, len(as))
	ids := make([]string, len(as))
	for i, a := range as {
		byID[a.id] = a
		ids[i] = a.id.String()
	}
	arg := pq.Array(ids)
	err := eachRow(ctx, db, "SELECT account_id, label FROM account_labels WHERE account_id = ANY($1::uuid[])", arg,
		func(rows *sql.Rows) error {
			var id uuid.UUID
			var label string
			if err := rows.Scan(&id, &label); err != nil {
				return err
			}
			byID[id].labels = append(byID[id].labels, label)
			return nil
		})
	if err != nil {
		return err
	}
	err = eachRow(ctx, db, "SELECT account_id, system, external_id FROM account_external_ids WHERE account_id = ANY($1::uuid[])", arg,
		func(rows *sql.Rows) error {
			var id uuid.UUID
			var system, ext string
			if err := rows.Scan(&id, &system, &ext); err != nil {
				return err
			}
			a := byID[id]
			if a.externalIDs == nil {
				a.externalIDs = map[string]string{}
			}
			a.externalIDs[system] = ext
			return nil
		})
	if err != nil {
		return err
	}
	return eachRow(ctx, db, "SELECT account_id, id FROM contacts WHERE account_id = ANY($1::uuid[]) AND is_primary", arg,
		func(rows *sql.Rows) error {
			var id, contact uuid.UUID
			if err := rows.Scan(&id, &contact); err != nil {
				return err
			}
			byID[id].primaryContact = contact
			return nil
		})
}

// eachRow runs query with arg and calls fn on each result row.
func eachRow(ctx context.Context, db *sql.DB, query string, arg any, fn func(*sql.Rows) error) error {
	rows, err := db.QueryContext(ctx, query, arg)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
