package store

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/ent"
	entaccount "github.com/furrowhq/furrow/ent/account"
	"github.com/furrowhq/furrow/ent/accountexternalid"
	"github.com/furrowhq/furrow/ent/contact"
	"github.com/furrowhq/furrow/ent/surveyinvitation"
	"github.com/furrowhq/furrow/ent/surveyresponse"
	"github.com/furrowhq/furrow/internal/analytics"
	"github.com/furrowhq/furrow/internal/page"
	"github.com/furrowhq/furrow/internal/survey"
)

// WithSurveyTx runs fn in a transaction.
func (s *Store) WithSurveyTx(ctx context.Context, fn func(tx survey.Tx) error) error {
	return s.withTx(ctx, func(q queries) error { return fn(&txQueries{q}) })
}

var _ survey.Tx = (*txQueries)(nil)

func (q queries) SurveyAccounts(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]survey.AccountInfo, error) {
	out := make(map[uuid.UUID]survey.AccountInfo, len(ids))
	for _, part := range chunks(ids, 1000) {
		rows, err := q.c.Account.Query().Where(entaccount.IDIn(part...)).Select(entaccount.FieldID, entaccount.FieldDeleteTime).All(ctx)
		if err != nil {
			return nil, mapErr(err)
		}
		for _, r := range rows {
			out[r.ID] = survey.AccountInfo{Deleted: r.DeleteTime != nil}
		}
		links, err := q.c.AccountExternalID.Query().Where(accountexternalid.AccountIDIn(part...)).All(ctx)
		if err != nil {
			return nil, mapErr(err)
		}
		for _, l := range links {
			if a, ok := out[l.AccountID]; ok {
				a.Partners = append(a.Partners, l.System)
				out[l.AccountID] = a
			}
		}
	}
	return out, nil
}

func (q queries) ContactAccounts(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]uuid.UUID, error) {
	out := make(map[uuid.UUID]uuid.UUID, len(ids))
	for _, part := range chunks(ids, 1000) {
		rows, err := q.c.Contact.Query().Where(contact.IDIn(part...)).Select(contact.FieldID, contact.FieldAccountID).All(ctx)
		if err != nil {
			return nil, mapErr(err)
		}
		for _, r := range rows {
			out[r.ID] = r.AccountID
		}
	}
	return out, nil
}

func toResponse(r *ent.SurveyResponse) *survey.Response {
	out := &survey.Response{ID: r.ID, Account: r.AccountID, Contact: r.ContactID, Kind: r.Kind, Score: r.Score, Comment: r.Comment,
		Channel: r.Channel, Time: r.Time.UTC(), Source: r.Source, ResponseID: r.ResponseID, CreateTime: r.CreateTime.UTC()}
	if r.IsExcluded {
		out.Exclusion = &survey.Exclusion{Reason: r.ExcludeReason, By: r.ExcludedBy}
		if r.ExcludeTime != nil {
			out.Exclusion.Time = r.ExcludeTime.UTC()
		}
	}
	return out
}

func (q queries) GetResponse(ctx context.Context, acc, id uuid.UUID) (*survey.Response, error) {
	r, err := q.c.SurveyResponse.Query().Where(surveyresponse.ID(id), surveyresponse.AccountID(acc)).Only(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return toResponse(r), nil
}

func (q queries) ListResponses(ctx context.Context, acc uuid.UUID, kind string, size int, after *page.Cursor) ([]*survey.Response, *page.Cursor, error) {
	query := q.c.SurveyResponse.Query().Where(surveyresponse.AccountID(acc))
	if kind != "" {
		query.Where(surveyresponse.Kind(kind))
	}
	if after != nil {
		seek, err := afterTimeID(after, surveyresponse.FieldTime, surveyresponse.FieldID, true)
		if err != nil {
			return nil, nil, err
		}
		query.Where(seek)
	}
	rows, err := query.Order(ent.Desc(surveyresponse.FieldTime), ent.Desc(surveyresponse.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	rows, next := timeIDPage(rows, size, func(r *ent.SurveyResponse) (time.Time, uuid.UUID) { return r.Time, r.ID })
	out := make([]*survey.Response, len(rows))
	for i, r := range rows {
		out[i] = toResponse(r)
	}
	return out, next, nil
}

func (q queries) ResponseCounts(ctx context.Context, from, to time.Time, seg survey.Segment) (survey.Counts, error) {
	var c survey.Counts
	a := &sqlArgs{pg: q.postgres()}
	where := []string{"a.delete_time IS NULL", "NOT r.is_excluded", "r.time >= " + a.add(from.UTC()), "r.time < " + a.add(to.UTC())}
	for col, v := range map[string]string{"revenue_tier": seg.Tier, "region": seg.Region, "industry": seg.Industry, "owner": seg.Owner} {
		if v != "" {
			where = append(where, "a."+col+" = "+a.add(v))
		}
	}
	query := "SELECT r.kind, COALESCE(r.score, -1), COUNT(*) FROM survey_responses r JOIN accounts a ON a.id = r.account_id WHERE " +
		strings.Join(where, " AND ") + " GROUP BY r.kind, r.score"
	rows, err := q.c.QueryContext(ctx, query, a.args...)
	if err != nil {
		return c, mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var score, n int64
		if err := rows.Scan(&kind, &score, &n); err != nil {
			return c, mapErr(err)
		}
		switch {
		case kind == survey.KindNPS && score >= 0 && score <= 10:
			c.NPSByScore[score] += n
		case kind == survey.KindCSAT && score >= 1 && score <= 5:
			c.CSATByScore[score] += n
		case kind == survey.KindComplaint:
			c.Complaints += n
		}
	}
	return c, mapErr(rows.Err())
}

func (q queries) LastSurveyed(ctx context.Context, acc, contactID uuid.UUID) (*time.Time, *time.Time, error) {
	last := func(query string, args ...any) (*time.Time, error) {
		rows, err := q.c.QueryContext(ctx, query, args...)
		if err != nil {
			return nil, mapErr(err)
		}
		defer rows.Close()
		var v any
		if rows.Next() {
			if err := rows.Scan(&v); err != nil {
				return nil, mapErr(err)
			}
		}
		if err := rows.Err(); err != nil {
			return nil, mapErr(err)
		}
		if v == nil {
			return nil, nil
		}
		t, err := asTime(v)
		if err != nil {
			return nil, err
		}
		return &t, nil
	}
	// Asked (an invitation) or answered a survey (NPS, CSAT); complaints are not surveys.
	for_ := func(col string, id uuid.UUID) (*time.Time, error) {
		a := &sqlArgs{pg: q.postgres()}
		p := a.add(id)
		kinds := a.inStrings("kind", []string{survey.KindNPS, survey.KindCSAT})
		return last("SELECT MAX(t) FROM (SELECT MAX(time) AS t FROM survey_invitations WHERE "+col+" = "+p+
			" UNION ALL SELECT MAX(time) FROM survey_responses WHERE "+col+" = "+p+" AND "+kinds+") x", a.args...)
	}
	cl, err := for_("contact_id", contactID)
	if err != nil {
		return nil, nil, err
	}
	al, err := for_("account_id", acc)
	return cl, al, err
}

func (q txQueries) InsertResponses(ctx context.Context, rs []*survey.Response) (int, error) {
	total := 0
	for _, part := range chunks(rs, 300) {
		a := &sqlArgs{pg: q.postgres()}
		vals := make([]string, len(part))
		for i, r := range part {
			var score any
			if r.Score != nil {
				score = int64(*r.Score)
			}
			vals[i] = "(" + strings.Join([]string{a.add(r.ID), a.add(r.Account), a.add(r.Contact), a.add(r.Kind), a.add(score),
				a.add(r.Comment), a.add(r.Channel), a.add(r.Time.UTC()), a.add(r.Source), a.add(r.ResponseID), a.add(r.CreateTime.UTC()),
				a.add(false), "''", "''"}, ", ") + ")"
		}
		res, err := q.c.ExecContext(ctx, "INSERT INTO survey_responses (id, account_id, contact_id, kind, score, comment, channel, time, source, "+
			"response_id, create_time, is_excluded, exclude_reason, excluded_by) VALUES "+strings.Join(vals, ", ")+
			" ON CONFLICT (account_id, source, response_id) DO NOTHING", a.args...)
		if err != nil {
			return 0, mapErr(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, mapErr(err)
		}
		total += int(n)
	}
	return total, nil
}

func (q txQueries) ResponsesByKey(ctx context.Context, rs []*survey.Response) ([]*survey.Response, error) {
	var out []*survey.Response
	byAccount := map[uuid.UUID][]string{}
	for _, r := range rs {
		byAccount[r.Account] = append(byAccount[r.Account], r.ResponseID)
	}
	for acc, ids := range byAccount {
		rows, err := q.c.SurveyResponse.Query().Where(surveyresponse.AccountID(acc), surveyresponse.ResponseIDIn(ids...)).All(ctx)
		if err != nil {
			return nil, mapErr(err)
		}
		for _, r := range rows {
			out = append(out, toResponse(r))
		}
	}
	return out, nil
}

func (q txQueries) SetExclusion(ctx context.Context, acc, id uuid.UUID, e *survey.Exclusion) error {
	u := q.c.SurveyResponse.Update().Where(surveyresponse.ID(id), surveyresponse.AccountID(acc))
	if e != nil {
		u.SetIsExcluded(true).SetExcludeReason(e.Reason).SetExcludedBy(e.By).SetExcludeTime(e.Time.UTC())
	} else {
		u.SetIsExcluded(false).SetExcludeReason("").SetExcludedBy("").ClearExcludeTime()
	}
	return mapErr(u.Exec(ctx))
}

func (q txQueries) LockSurveys(ctx context.Context, acc uuid.UUID) error {
	if !q.postgres() {
		return nil // SQLite has one writer at a time
	}
	_, err := q.c.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", "furrow.surveys:"+acc.String())
	return mapErr(err)
}

func (q txQueries) InvitationByID(ctx context.Context, acc uuid.UUID, invitationID string) (*survey.Invitation, error) {
	r, err := q.c.SurveyInvitation.Query().Where(surveyinvitation.AccountID(acc), surveyinvitation.InvitationID(invitationID)).Only(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return &survey.Invitation{ID: r.ID, Account: r.AccountID, Contact: r.ContactID, Channel: r.Channel, InvitationID: r.InvitationID,
		Time: r.Time.UTC(), Creator: r.Creator}, nil
}

func (q txQueries) InsertInvitation(ctx context.Context, inv *survey.Invitation) error {
	return mapErr(q.c.SurveyInvitation.Create().SetID(inv.ID).SetAccountID(inv.Account).SetContactID(inv.Contact).SetChannel(inv.Channel).
		SetInvitationID(inv.InvitationID).SetTime(inv.Time.UTC()).SetCreator(inv.Creator).Exec(ctx))
}

// SurveyNPS reads survey responses for the analytics service's NPS (customer-success
// KPIs), from the same counts the survey report uses.
func (s *Store) SurveyNPS() analytics.SurveyReader { return surveyNPS{s.queries} }

type surveyNPS struct{ q queries }

func (r surveyNPS) NPSCounts(ctx context.Context, seg analytics.Segment, start, end time.Time, promoterMin, detractorMax int) (analytics.NPSCounts, error) {
	c, err := r.q.ResponseCounts(ctx, start, end, survey.Segment{Tier: seg.Tier, Region: seg.Region, Industry: seg.Industry, Owner: seg.Owner})
	if err != nil {
		return analytics.NPSCounts{}, err
	}
	var out analytics.NPSCounts
	for score, n := range c.NPSByScore {
		out.Responses += n
		if score >= promoterMin {
			out.Promoters += n
		}
		if score <= detractorMax {
			out.Detractors += n
		}
	}
	return out, nil
}
