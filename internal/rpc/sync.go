package rpc

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"buf.build/go/protovalidate"
	"google.golang.org/genproto/googleapis/rpc/status"
	grpcstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/failure"
)

// SyncServer implements furrow.v1.SyncService.
type SyncServer struct {
	furrowv1.UnimplementedSyncServiceServer
	svc       *account.Service
	validator protovalidate.Validator
}

var _ furrowv1.SyncServiceServer = (*SyncServer)(nil)

// NewSyncServer returns a SyncServer over svc.
func NewSyncServer(svc *account.Service) (*SyncServer, error) {
	v, err := protovalidate.New()
	if err != nil {
		return nil, err
	}
	return &SyncServer{svc: svc, validator: v}, nil
}

// recordViolations checks one record's account, contacts and deals against their proto
// rules, which the request-wide validation skips so that a bad record fails alone.
func (s *SyncServer) recordViolations(i int, r *furrowv1.SyncRecord) error {
	var vs []failure.Violation
	check := func(prefix string, m proto.Message) {
		var verr *protovalidate.ValidationError
		if err := s.validator.Validate(m); errors.As(err, &verr) {
			for _, v := range verr.Violations {
				vs = append(vs, failure.Violation{Field: prefix + protovalidate.FieldPathString(v.Proto.GetField()), Description: v.Proto.GetMessage()})
			}
		} else if err != nil {
			vs = append(vs, failure.Violation{Field: strings.TrimSuffix(prefix, "."), Description: "cannot be checked"})
		}
	}
	if r.GetAccount() == nil {
		vs = append(vs, failure.Violation{Field: fmt.Sprintf("records[%d].account", i), Description: "account is required"})
	} else {
		check(fmt.Sprintf("records[%d].account.", i), r.GetAccount())
	}
	for j, c := range r.GetContacts() {
		check(fmt.Sprintf("records[%d].contacts[%d].contact.", i, j), c.GetContact())
	}
	for j, d := range r.GetDeals() {
		check(fmt.Sprintf("records[%d].deals[%d].deal.", i, j), d.GetDeal())
	}
	return failure.InvalidFields(vs)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// BatchUpsertAccounts implements furrow.v1.SyncService.
func (s *SyncServer) BatchUpsertAccounts(ctx context.Context, req *furrowv1.BatchUpsertAccountsRequest) (*furrowv1.BatchUpsertAccountsResponse, error) {
	recs := make([]account.SyncRecord, len(req.GetRecords()))
	for i, r := range req.GetRecords() {
		recs[i] = account.SyncRecord{ExternalID: r.GetExternalId(), Account: accountFromProto(r.GetAccount()), Invalid: s.recordViolations(i, r)}
		for _, c := range r.GetContacts() {
			recs[i].Contacts = append(recs[i].Contacts, account.SyncContact{ExternalID: c.GetExternalId(), Contact: contactFromProto(c.GetContact())})
		}
		for j, d := range r.GetDeals() {
			in, err := dealFromProto(d.GetDeal())
			if f, ok := failure.As(err); ok && recs[i].Invalid == nil && len(f.Violations) > 0 {
				// An impossible date fails only its record.
				recs[i].Invalid = failure.InvalidFields([]failure.Violation{{
					Field: fmt.Sprintf("records[%d].deals[%d].deal.close_date", i, j), Description: f.Violations[0].Description}})
			}
			recs[i].Deals = append(recs[i].Deals, account.SyncDeal{ExternalID: d.GetExternalId(), Deal: in})
		}
	}
	res, err := s.svc.BatchUpsertAccounts(ctx, strings.TrimPrefix(req.GetPartner(), "partners/"), req.GetRequestId(), recs)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &furrowv1.BatchUpsertAccountsResponse{Results: make([]*furrowv1.SyncResult, len(res))}
	for i, r := range res {
		pr := &furrowv1.SyncResult{ExternalId: r.ExternalID, Outcome: furrowv1.SyncOutcome(furrowv1.SyncOutcome_value["SYNC_OUTCOME_"+r.Outcome])}
		if r.Account != [16]byte{} {
			pr.Account = account.AccountName(r.Account)
		}
		if r.Error != nil {
			st, _ := grpcstatus.FromError(toStatus(ctx, r.Error))
			pr.Error = &status.Status{Code: st.Proto().GetCode(), Message: st.Proto().GetMessage(), Details: st.Proto().GetDetails()}
		}
		out.Results[i] = pr
	}
	return out, nil
}

// ListAccountChanges implements furrow.v1.SyncService.
func (s *SyncServer) ListAccountChanges(ctx context.Context, req *furrowv1.ListAccountChangesRequest) (*furrowv1.ListAccountChangesResponse, error) {
	changes, next, err := s.svc.ListAccountChanges(ctx, strings.TrimPrefix(req.GetPartner(), "partners/"), req.GetCursor(), req.GetPageSize())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &furrowv1.ListAccountChangesResponse{NextCursor: next}
	for _, c := range changes {
		pc := &furrowv1.AccountChange{Action: c.Entry.Action, ChangedFields: c.Entry.ChangedFields, ChangeTime: ts(c.Entry.CreateTime),
			Activity: "activities/" + itoa(c.Entry.ID), Resource: c.Entry.Resource, Actor: c.Entry.Actor}
		if c.Account != nil {
			pc.Account = accountToProto(c.Account)
		}
		out.Changes = append(out.Changes, pc)
	}
	return out, nil
}
