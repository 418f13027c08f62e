// Package rpc is the transport layer: it implements the generated gRPC services, turns
// requests into domain calls and domain results into protos, and maps every domain error
// to a gRPC status in one place (toStatus).
package rpc

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"github.com/furrowhq/furrow/internal/failure"
)

// errorDomain is the ErrorInfo domain of Furrow's errors.
const errorDomain = "furrow.dev"

var kindCodes = map[failure.Kind]codes.Code{
	failure.Invalid:            codes.InvalidArgument,
	failure.NotFound:           codes.NotFound,
	failure.AlreadyExists:      codes.AlreadyExists,
	failure.FailedPrecondition: codes.FailedPrecondition,
	failure.Aborted:            codes.Aborted,
	failure.PermissionDenied:   codes.PermissionDenied,
	failure.Unauthenticated:    codes.Unauthenticated,
	failure.Unavailable:        codes.Unavailable,
}

// toStatus maps an error from the domain to a gRPC status error. Failures keep their
// message and get details (BadRequest field violations, ErrorInfo, ResourceInfo);
// anything else is logged and reported as INTERNAL without its text, which may hold SQL.
func toStatus(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if f, ok := failure.As(err); ok {
		st := status.New(kindCodes[f.Kind], f.Msg)
		var ds []protoadapt.MessageV1
		if len(f.Violations) > 0 {
			br := &errdetails.BadRequest{}
			for _, v := range f.Violations {
				br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
			}
			ds = append(ds, br)
		}
		if f.Reason != "" {
			info := &errdetails.ErrorInfo{Reason: f.Reason, Domain: errorDomain}
			if f.Resource != "" {
				info.Metadata = map[string]string{"resource": f.Resource}
			}
			ds = append(ds, info)
		}
		if f.Resource != "" {
			ds = append(ds, &errdetails.ResourceInfo{ResourceName: f.Resource})
		}
		if len(ds) > 0 {
			if withDetails, derr := st.WithDetails(ds...); derr == nil {
				st = withDetails
			}
		}
		return st.Err()
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "the request was cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "the request ran out of time")
	}
	slog.ErrorContext(ctx, "internal error", "err", err)
	return status.Error(codes.Internal, "internal error; it has been logged")
}
