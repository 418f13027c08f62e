package requestid

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestLogHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewLogHandler(slog.NewJSONHandler(&buf, nil))).With("svc", "x")
	log.InfoContext(With(context.Background(), "req-9"), "hello")
	log.InfoContext(context.Background(), "bare")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"request_id":"req-9"`) || !strings.Contains(lines[0], `"svc":"x"`) || strings.Contains(lines[1], "request_id") {
		t.Errorf("logs:\n%s", buf.String())
	}
	if From(context.Background()) != "" || From(With(context.Background(), "a")) != "a" {
		t.Error("From")
	}
}
