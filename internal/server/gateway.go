package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/furrowhq/furrow/internal/requestid"
)

// maxBodyBytes is the largest REST request body accepted.
const maxBodyBytes = 8 << 20

// gatewayErrors handles errors of REST calls. Errors the gRPC server returned were
// already logged by its interceptors and carry its request id. Errors the gateway
// raised itself (a body that is not JSON, an unknown field or enum name, a query
// parameter of the wrong type) never reached gRPC: give them what an interceptor would
// have — a request id, a log line and a BadRequest detail — so every REST failure reads
// the same.
func gatewayErrors(log *slog.Logger) runtime.ErrorHandlerFunc {
	return func(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
		if status.Code(err) == codes.Unauthenticated {
			// The gateway would put the error text there; RFC 6750 wants the scheme.
			w = bearerChallenge{w}
		}
		if md, ok := runtime.ServerMetadataFromContext(ctx); ok && len(md.HeaderMD.Get(requestIDHeader)) > 0 {
			runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, err)
			return
		}
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = uuid.NewString()
		}
		w.Header().Set("X-Request-Id", id)
		st := status.Convert(err)
		if st.Code() == codes.InvalidArgument && len(st.Details()) == 0 {
			field := "query"
			if r.ContentLength != 0 && r.Method != http.MethodGet {
				field = "body"
			}
			msg := "invalid request: " + strings.TrimPrefix(st.Message(), "proto: ")
			br := &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: msg}}}
			st = status.New(codes.InvalidArgument, msg)
			if d, derr := st.WithDetails(br); derr == nil {
				st = d
			}
		}
		log.LogAttrs(requestid.With(ctx, id), slog.LevelInfo, "rpc",
			slog.String("method", r.Method+" "+r.URL.Path), slog.String("code", st.Code().String()),
			slog.String("peer", r.RemoteAddr), slog.String("error", st.Message()))
		runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, st.Err())
	}
}

// bearerChallenge sets WWW-Authenticate to the Bearer scheme when the status is written.
type bearerChallenge struct{ http.ResponseWriter }

func (b bearerChallenge) WriteHeader(code int) {
	b.Header().Set("WWW-Authenticate", `Bearer realm="furrow"`)
	b.ResponseWriter.WriteHeader(code)
}

// routingErrors answers requests no route matches: 404 for an unknown path, 405 (not
// the gateway's 501) for a known path with another method. The body's code is
// NOT_FOUND for both: no API method answers that method on that path.
func routingErrors(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	code := codes.NotFound
	msg := fmt.Sprintf("no REST method at %s %s; see /openapi.json", r.Method, r.URL.Path)
	switch httpStatus {
	case http.StatusMethodNotAllowed:
		msg = fmt.Sprintf("%s is not allowed on %s; see /openapi.json", r.Method, r.URL.Path)
	case http.StatusBadRequest:
		code = codes.InvalidArgument
		msg = "malformed request path"
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, &runtime.HTTPStatusError{HTTPStatus: httpStatus, Err: status.Error(code, msg)})
}

// limitBody refuses bodies over maxBodyBytes with 413 and caps what is read of bodies
// of unknown length.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBodyBytes {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			fmt.Fprintf(w, `{"code":%d,"message":"the request body is %d bytes; at most %d are accepted"}`, codes.InvalidArgument, r.ContentLength, maxBodyBytes)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		next.ServeHTTP(w, r)
	})
}
