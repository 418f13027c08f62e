package rpc

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/failure"
)

func TestUpdatePaths(t *testing.T) {
	cases := []struct {
		mask []string
		msg  *furrowv1.Account
		want string
	}{
		{[]string{"industry"}, &furrowv1.Account{}, "[industry]"},
		// grpc-gateway derives nested paths from a JSON body; they name the top field.
		{[]string{"external_ids.crm", "labels", "etag", "name", "create_time"}, &furrowv1.Account{}, "[external_ids labels]"},
		// No mask: the populated fields, without identity and output-only ones.
		{nil, &furrowv1.Account{Name: "accounts/x", Etag: "3", Industry: "retail", Owner: "me", CreateTime: timestamppb.Now(), RevenueTier: 1}, "[industry revenue_tier]"},
		{[]string{"*"}, &furrowv1.Account{}, "[*]"},
	}
	for _, c := range cases {
		var m *fieldmaskpb.FieldMask
		if c.mask != nil {
			m = &fieldmaskpb.FieldMask{Paths: c.mask}
		}
		if got := fmt.Sprint(updatePaths(m, c.msg)); got != c.want {
			t.Errorf("updatePaths(%v) = %s, want %s", c.mask, got, c.want)
		}
	}
}

func TestParseName(t *testing.T) {
	const id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
	if a, c, err := childID("accounts/"+id+"/deals/"+id, "name", "deals"); err != nil || a.String() != id || c.String() != id {
		t.Errorf("childID: %v %v %v", a, c, err)
	}
	for _, bad := range []string{"", "accounts/", "accounts/" + id + "/contacts/" + id, "accounts/xyz/deals/" + id, "things/" + id + "/deals/" + id} {
		if _, _, err := childID(bad, "name", "deals"); !failure.Is(err, failure.Invalid) {
			t.Errorf("childID(%q) = %v, want Invalid", bad, err)
		}
	}
}

func TestFromDate(t *testing.T) {
	if d, err := fromDate(&date.Date{Year: 2024, Month: 2, Day: 29}, "f"); err != nil || d.Format("2006-01-02") != "2024-02-29" {
		t.Errorf("leap day: %v %v", d, err)
	}
	for _, bad := range []*date.Date{{Year: 2025, Month: 2, Day: 29}, {Year: 2025, Month: 13, Day: 1}, {Year: 2025, Month: 1, Day: 0}} {
		if _, err := fromDate(bad, "deal.close_date"); !failure.Is(err, failure.Invalid) {
			t.Errorf("fromDate(%v) = %v, want Invalid", bad, err)
		}
	}
	if d, err := fromDate(nil, "f"); err != nil || !d.IsZero() {
		t.Errorf("nil date: %v %v", d, err)
	}
}

func TestToStatus(t *testing.T) {
	ctx := context.Background()
	err := toStatus(ctx, failure.Newf(failure.AlreadyExists, "account %q exists", "accounts/1").WithReason("DUPLICATE_ACCOUNT").WithResource("accounts/1"))
	st := status.Convert(err)
	if st.Code() != codes.AlreadyExists || st.Message() != `account "accounts/1" exists` {
		t.Errorf("status = %v", st)
	}
	var info *errdetails.ErrorInfo
	var res *errdetails.ResourceInfo
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			info = d
		case *errdetails.ResourceInfo:
			res = d
		}
	}
	if info.GetReason() != "DUPLICATE_ACCOUNT" || info.GetDomain() != "furrow.dev" || res.GetResourceName() != "accounts/1" {
		t.Errorf("details = %v", st.Details())
	}
	// Anything that is not a failure is INTERNAL, without its text (it may hold SQL).
	err = toStatus(ctx, fmt.Errorf("pq: relation \"accounts\" does not exist"))
	if status.Code(err) != codes.Internal || strings.Contains(err.Error(), "pq") {
		t.Errorf("internal = %v", err)
	}
	if status.Code(toStatus(ctx, context.DeadlineExceeded)) != codes.DeadlineExceeded {
		t.Error("deadline not mapped")
	}
	for k, c := range kindCodes {
		if got := status.Code(toStatus(ctx, failure.Newf(k, "x"))); got != c {
			t.Errorf("kind %d -> %v, want %v", k, got, c)
		}
	}
}
