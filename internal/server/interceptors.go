package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"time"

	"buf.build/go/protovalidate"
	"github.com/google/uuid"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/furrowhq/furrow/internal/requestid"
)

// requestIDHeader carries the request id in gRPC metadata and HTTP headers.
const requestIDHeader = "x-request-id"

// requestIDInterceptor takes the caller's x-request-id (if it is sane) or makes one,
// stores it in the context and returns it in the response header.
func requestIDInterceptor(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	id := ""
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if vs := md.Get(requestIDHeader); len(vs) > 0 && validRequestID(vs[0]) {
			id = vs[0]
		}
	}
	if id == "" {
		id = uuid.NewString()
	}
	_ = grpc.SetHeader(ctx, metadata.Pairs(requestIDHeader, id))
	ctx = context.WithValue(requestid.With(ctx, id), callInfoKey{}, &callInfo{})
	return handler(ctx, req)
}

func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if r < 0x21 || r > 0x7e {
			return false
		}
	}
	return true
}

// loggingInterceptor logs one line per call: method, code, duration, request id.
func loggingInterceptor(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := handler(ctx, req)
		code := status.Code(err)
		level := slog.LevelInfo
		switch code {
		case codes.Internal, codes.Unknown, codes.DataLoss, codes.Unavailable:
			level = slog.LevelError
		}
		attrs := []slog.Attr{
			slog.String("method", info.FullMethod),
			slog.String("code", code.String()),
			slog.Duration("duration", time.Since(start)),
		}
		if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
			attrs = append(attrs, slog.String("peer", clientAddr(ctx, p.Addr)))
		}
		if ci := callInfoFrom(ctx); ci != nil && ci.caller != "" {
			attrs = append(attrs, slog.String("caller", ci.caller))
		}
		if err != nil && code != codes.Internal {
			attrs = append(attrs, slog.String("error", status.Convert(err).Message()))
		}
		log.LogAttrs(ctx, level, "rpc", attrs...)
		return resp, err
	}
}

// clientAddr is the caller's address: for REST calls, which reach gRPC from the
// gateway on loopback, the HTTP client's address the gateway forwarded.
func clientAddr(ctx context.Context, a net.Addr) string {
	if tcp, ok := a.(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		if md, ok := metadata.FromIncomingContext(ctx); ok {
			if xff := md.Get("x-forwarded-for"); len(xff) > 0 && xff[0] != "" {
				return xff[0]
			}
		}
	}
	return a.String()
}

// recoveryInterceptor turns a panic in a handler into INTERNAL and logs its stack.
func recoveryInterceptor(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if p := recover(); p != nil {
				log.ErrorContext(ctx, "panic", "method", info.FullMethod,
					"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				resp, err = nil, status.Error(codes.Internal, "internal error; it has been logged")
			}
		}()
		return handler(ctx, req)
	}
}

// validationInterceptor enforces the protovalidate rules of every request message.
// Violations become INVALID_ARGUMENT with google.rpc.BadRequest field violations (what
// frontends and AIP tooling read), named by their field paths.
func validationInterceptor(v protovalidate.Validator) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		msg, ok := req.(proto.Message)
		if !ok {
			return handler(ctx, req)
		}
		if err := validationStatus(v.Validate(msg)); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// validationStatus converts a protovalidate result to a status error (nil if valid).
func validationStatus(err error) error {
	if err == nil {
		return nil
	}
	var verr *protovalidate.ValidationError
	if !errors.As(err, &verr) {
		// A rule that does not compile is our bug, not the caller's.
		slog.Error("request validation failed to run", "err", err)
		return status.Error(codes.Internal, "request validation failed to run; it has been logged")
	}
	br := &errdetails.BadRequest{}
	var parts []string
	for _, v := range verr.Violations {
		field := protovalidate.FieldPathString(v.Proto.GetField())
		msg := v.Proto.GetMessage()
		if field == "" {
			field = "request"
		}
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: field, Description: msg})
		parts = append(parts, field+": "+msg)
	}
	st := status.New(codes.InvalidArgument, "invalid request: "+strings.Join(parts, "; "))
	if ds, derr := st.WithDetails(br); derr == nil {
		st = ds
	}
	return st.Err()
}
