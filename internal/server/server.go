// Package server runs Furrow's gRPC server and its REST/JSON gateway. The gateway calls
// the gRPC server through a client connection, so REST requests pass through exactly
// the same interceptors (request id, logging, recovery, validation) as gRPC calls.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"buf.build/go/protovalidate"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/protobuf/encoding/protojson"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/gen/openapi"
	"github.com/furrowhq/furrow/internal/ratelimit"
	"github.com/furrowhq/furrow/internal/requestid"
)

// Config configures a Server.
type Config struct {
	GRPCAddr        string // e.g. ":9090"; "127.0.0.1:0" picks a free port
	HTTPAddr        string // e.g. ":8080"
	Logger          *slog.Logger
	ShutdownTimeout time.Duration // how long in-flight calls may take to finish
	// Ready reports whether the server can serve (e.g. the database answers); nil means always.
	Ready func(context.Context) error
	// Authenticate checks API keys; required.
	Authenticate Authenticator
	// Limiter limits each key's request rate; nil means unlimited.
	Limiter *ratelimit.Limiter
}

// Services are the API implementations the server exposes.
type Services struct {
	Accounts   furrowv1.AccountServiceServer
	Access     furrowv1.AccessServiceServer
	Activities furrowv1.ActivityServiceServer
	Sync       furrowv1.SyncServiceServer
	Health     furrowv1.HealthServiceServer
	Analytics  furrowv1.AnalyticsServiceServer
	Retention  furrowv1.RetentionServiceServer
	Surveys    furrowv1.SurveyServiceServer
	Cases      furrowv1.CaseServiceServer
	Audits     furrowv1.AuditServiceServer
}

// Server is a running Furrow API server.
type Server struct {
	cfg      Config
	grpc     *grpc.Server
	http     *http.Server
	health   *health.Server
	grpcLis  net.Listener
	httpLis  net.Listener
	gwConn   *grpc.ClientConn
	services Services
}

// New listens on the configured addresses and prepares the servers; Serve runs them.
func New(ctx context.Context, cfg Config, svcs Services) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if _, ok := cfg.Logger.Handler().(*requestid.LogHandler); !ok {
		cfg.Logger = slog.New(requestid.NewLogHandler(cfg.Logger.Handler()))
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 15 * time.Second
	}
	if cfg.Authenticate == nil {
		return nil, errors.New("server: Config.Authenticate is required")
	}
	validator, err := protovalidate.New()
	if err != nil {
		return nil, fmt.Errorf("protovalidate: %w", err)
	}
	s := &Server{cfg: cfg, services: svcs}
	s.grpc = grpc.NewServer(
		// Up to the REST body limit plus room for protobuf framing.
		grpc.MaxRecvMsgSize(2*maxBodyBytes),
		grpc.ChainUnaryInterceptor(
			requestIDInterceptor,
			loggingInterceptor(cfg.Logger),
			recoveryInterceptor(cfg.Logger),
			authInterceptor(cfg.Authenticate),
			rateLimitInterceptor(cfg.Limiter),
			validationInterceptor(validator),
		),
	)
	furrowv1.RegisterAccountServiceServer(s.grpc, svcs.Accounts)
	furrowv1.RegisterAccessServiceServer(s.grpc, svcs.Access)
	furrowv1.RegisterActivityServiceServer(s.grpc, svcs.Activities)
	furrowv1.RegisterSyncServiceServer(s.grpc, svcs.Sync)
	furrowv1.RegisterHealthServiceServer(s.grpc, svcs.Health)
	furrowv1.RegisterAnalyticsServiceServer(s.grpc, svcs.Analytics)
	furrowv1.RegisterRetentionServiceServer(s.grpc, svcs.Retention)
	furrowv1.RegisterSurveyServiceServer(s.grpc, svcs.Surveys)
	furrowv1.RegisterCaseServiceServer(s.grpc, svcs.Cases)
	furrowv1.RegisterAuditServiceServer(s.grpc, svcs.Audits)
	s.health = health.NewServer()
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)

	if s.grpcLis, err = net.Listen("tcp", cfg.GRPCAddr); err != nil {
		return nil, fmt.Errorf("listen gRPC on %s: %w", cfg.GRPCAddr, err)
	}
	if s.httpLis, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		s.grpcLis.Close()
		return nil, fmt.Errorf("listen HTTP on %s: %w", cfg.HTTPAddr, err)
	}
	if err := s.buildGateway(ctx); err != nil {
		s.grpcLis.Close()
		s.httpLis.Close()
		return nil, err
	}
	return s, nil
}

// GRPCAddr returns the address the gRPC server listens on.
func (s *Server) GRPCAddr() string { return s.grpcLis.Addr().String() }

// HTTPAddr returns the address the REST gateway listens on.
func (s *Server) HTTPAddr() string { return s.httpLis.Addr().String() }

// dialAddr is an address the gateway can dial for a listener that may be bound to all
// interfaces.
func dialAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || tcp.IP == nil || tcp.IP.IsUnspecified() {
		if ok {
			return fmt.Sprintf("127.0.0.1:%d", tcp.Port)
		}
	}
	return a.String()
}

func (s *Server) buildGateway(ctx context.Context) error {
	conn, err := grpc.NewClient(dialAddr(s.grpcLis.Addr()), grpc.WithTransportCredentials(insecure.NewCredentials()),
		// A page of 1000 long interactions exceeds gRPC's default 4 MiB.
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256<<20), grpc.MaxCallSendMsgSize(2*maxBodyBytes)))
	if err != nil {
		return fmt.Errorf("gateway client: %w", err)
	}
	s.gwConn = conn
	gw := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.HTTPBodyMarshaler{
			Marshaler: &runtime.JSONPb{
				// lowerCamelCase JSON as proto3 specifies; unknown fields are an error,
				// not silently dropped, so a typo in a field name is a 400.
				MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: false},
				UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
			},
		}),
		runtime.WithIncomingHeaderMatcher(func(k string) (string, bool) {
			if http.CanonicalHeaderKey(k) == "X-Request-Id" {
				return requestIDHeader, true
			}
			return runtime.DefaultHeaderMatcher(k)
		}),
		runtime.WithErrorHandler(gatewayErrors(s.cfg.Logger)),
		runtime.WithRoutingErrorHandler(routingErrors),
		runtime.WithOutgoingHeaderMatcher(func(k string) (string, bool) {
			switch k {
			case requestIDHeader:
				return "X-Request-Id", true
			case "retry-after":
				return "Retry-After", true
			}
			return "", false
		}),
	)
	for _, register := range []func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error{
		furrowv1.RegisterAccountServiceHandler, furrowv1.RegisterAccessServiceHandler,
		furrowv1.RegisterActivityServiceHandler, furrowv1.RegisterSyncServiceHandler, furrowv1.RegisterHealthServiceHandler,
		furrowv1.RegisterAnalyticsServiceHandler,
		furrowv1.RegisterRetentionServiceHandler, furrowv1.RegisterSurveyServiceHandler,
		furrowv1.RegisterCaseServiceHandler, furrowv1.RegisterAuditServiceHandler,
	} {
		if err := register(ctx, gw, conn); err != nil {
			return fmt.Errorf("register gateway: %w", err)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi.JSON)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Ready != nil {
			if err := s.cfg.Ready(r.Context()); err != nil {
				s.cfg.Logger.WarnContext(r.Context(), "not ready", "err", err)
				http.Error(w, "not ready", http.StatusServiceUnavailable)
				return
			}
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("/", gw)
	s.http = &http.Server{
		Handler:           limitBody(mux),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
	return nil
}

// Serve serves until ctx is cancelled, then shuts down gracefully: it stops accepting,
// lets in-flight calls finish (up to ShutdownTimeout) and returns.
func (s *Server) Serve(ctx context.Context) error {
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	for _, name := range []string{furrowv1.AccountService_ServiceDesc.ServiceName, furrowv1.AccessService_ServiceDesc.ServiceName,
		furrowv1.ActivityService_ServiceDesc.ServiceName, furrowv1.SyncService_ServiceDesc.ServiceName,
		furrowv1.HealthService_ServiceDesc.ServiceName, furrowv1.AnalyticsService_ServiceDesc.ServiceName, furrowv1.RetentionService_ServiceDesc.ServiceName,
		furrowv1.SurveyService_ServiceDesc.ServiceName, furrowv1.CaseService_ServiceDesc.ServiceName,
		furrowv1.AuditService_ServiceDesc.ServiceName} {
		s.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	errc := make(chan error, 2)
	go func() { errc <- s.grpc.Serve(s.grpcLis) }()
	go func() {
		if err := s.http.Serve(s.httpLis); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
			return
		}
		errc <- nil
	}()
	s.cfg.Logger.Info("serving", "grpc", s.GRPCAddr(), "http", s.HTTPAddr())
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	s.cfg.Logger.Info("shutting down", "grace", s.cfg.ShutdownTimeout)
	s.health.Shutdown()
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	// HTTP first: its requests are gRPC calls through the gateway connection.
	_ = s.http.Shutdown(sctx)
	_ = s.gwConn.Close()
	done := make(chan struct{})
	go func() { s.grpc.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-sctx.Done():
		s.grpc.Stop()
	}
	s.cfg.Logger.Info("stopped")
	return serveErr
}

// Logger returns the server's logger, for background work beside it.
func (s *Server) Logger() *slog.Logger { return s.cfg.Logger }
