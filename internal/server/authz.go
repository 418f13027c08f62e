package server

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/furrowhq/furrow/internal/apikey"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/ratelimit"
)

// Authenticator returns the caller a presented key stands for; its errors are
// failures (UNAUTHENTICATED) or infrastructure errors.
type Authenticator func(ctx context.Context, key string) (auth.Caller, error)

// callInfo is filled in while a call is served, for the request log written after it.
type callInfo struct{ caller string }

type callInfoKey struct{}

func callInfoFrom(ctx context.Context) *callInfo {
	ci, _ := ctx.Value(callInfoKey{}).(*callInfo)
	return ci
}

// authInterceptor authenticates every call but health checks and reflection, and
// checks the caller's role against the method table (auth.Allowed): no key or a bad
// one is UNAUTHENTICATED, a role not allowed is PERMISSION_DENIED. The caller and the
// method go into the context for the domain (partner scoping, the activity log).
func authInterceptor(authn Authenticator) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if auth.Public(info.FullMethod) {
			return handler(ctx, req)
		}
		presented := ""
		if md, ok := metadata.FromIncomingContext(ctx); ok {
			if vs := md.Get("authorization"); len(vs) > 0 {
				presented, _ = apikey.FromAuthorization(vs[0])
			}
		}
		caller, err := authn(ctx, presented)
		if err != nil {
			if f, ok := failure.As(err); ok && f.Kind == failure.Unauthenticated {
				return nil, status.Error(codes.Unauthenticated, f.Msg)
			}
			return nil, status.Error(codes.Unavailable, "cannot check the API key now; retry shortly")
		}
		if ci := callInfoFrom(ctx); ci != nil {
			ci.caller = caller.Name
		}
		if ok, _ := auth.Allowed(info.FullMethod, caller.Role); !ok {
			return nil, status.Error(codes.PermissionDenied,
				fmt.Sprintf("a %s key may not call %s", caller.Role, info.FullMethod))
		}
		ctx = auth.WithMethod(auth.WithCaller(ctx, caller), info.FullMethod)
		return handler(ctx, req)
	}
}

// rateLimitInterceptor applies each key's token bucket: over the limit is
// RESOURCE_EXHAUSTED (HTTP 429) with google.rpc.RetryInfo and a retry-after header.
func rateLimitInterceptor(l *ratelimit.Limiter) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if l == nil || auth.Public(info.FullMethod) {
			return handler(ctx, req)
		}
		c := auth.CallerFrom(ctx)
		ok, wait := l.Allow(c.Name)
		if ok {
			return handler(ctx, req)
		}
		secs := int(math.Ceil(wait.Seconds()))
		_ = grpc.SetHeader(ctx, metadata.Pairs("retry-after", strconv.Itoa(max(secs, 1))))
		st := status.New(codes.ResourceExhausted, fmt.Sprintf("rate limit of this API key exceeded; retry in %s", wait.Round(time.Millisecond)))
		if d, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(wait)}); err == nil {
			st = d
		}
		return nil, st.Err()
	}
}
