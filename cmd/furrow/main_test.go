package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestEnvFallbacks(t *testing.T) {
	t.Setenv("FURROW_MIGRATE", "off")
	t.Setenv("FURROW_SHUTDOWN_TIMEOUT", "3s")
	c, err := parse("serve", nil, io.Discard)
	if err != nil || c.migrate || c.shutdownTimeout != 3*time.Second {
		t.Errorf("parse = %+v, %v", c, err)
	}
	t.Setenv("FURROW_MIGRATE", "maybe")
	if _, err := parse("serve", nil, io.Discard); err == nil || !strings.Contains(err.Error(), "FURROW_MIGRATE") {
		t.Errorf("bad FURROW_MIGRATE: %v", err)
	}
	t.Setenv("FURROW_MIGRATE", "")
	t.Setenv("FURROW_SHUTDOWN_TIMEOUT", "soon")
	if _, err := parse("serve", nil, io.Discard); err == nil || !strings.Contains(err.Error(), "FURROW_SHUTDOWN_TIMEOUT") {
		t.Errorf("bad FURROW_SHUTDOWN_TIMEOUT: %v", err)
	}
}

func TestRunCommands(t *testing.T) {
	ctx := context.Background()
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "cli.db")
	cases := []struct {
		args    []string
		wantErr string
		wantOut string
	}{
		{args: []string{"version"}, wantOut: "furrow "},
		{args: nil, wantErr: "no command"},
		{args: []string{"frobnicate"}, wantErr: `unknown command "frobnicate"`},
		{args: []string{"serve", "--no-such-flag"}, wantErr: "flag provided but not defined"},
		{args: []string{"migrate", "--database-url", "mysql://x"}, wantErr: "want postgres://"},
		{args: []string{"migrate", "--database-url", dbURL, "--log-level", "loud"}, wantErr: `log level "loud"`},
		{args: []string{"serve", "--shutdown-timeout", "0s"}, wantErr: "want a positive duration"},
		{args: []string{"seed", "--accounts", "0"}, wantErr: "want at least 1"},
		{args: []string{"migrate", "--database-url", dbURL}, wantOut: " migration(s)"},
		{args: []string{"migrate", "--database-url", dbURL}, wantOut: "applied 0 migration(s)"},
		{args: []string{"seed", "--database-url", dbURL, "--accounts", "5"}, wantOut: "seeded 5 accounts (0 already there)"},
		{args: []string{"seed", "--database-url", dbURL, "--accounts", "5"}, wantOut: "seeded 0 accounts (5 already there)"},
		{args: []string{"keys", "create", "--database-url", dbURL, "--name", "ops", "--role", "member"}, wantOut: "The key is shown only now:\nfw_"},
		{args: []string{"keys", "create", "--database-url", dbURL, "--name", "p", "--role", "partner", "--partner", "nope"}, wantErr: "does not exist"},
		{args: []string{"keys", "create", "--database-url", dbURL, "--name", "alice", "--role", "member", "--person", "alice@example.com"}, wantOut: "The key is shown only now:\nfw_"},
		{args: []string{"keys", "list", "--database-url", dbURL}, wantOut: "MEMBER"},
		{args: []string{"keys", "list", "--database-url", dbURL}, wantOut: "\tactive\talice@example.com\n"},
		{args: []string{"keys", "revoke", "--database-url", dbURL, "apiKeys/not-an-id"}, wantErr: "want the key's name"},
		{args: []string{"keys", "frob", "--database-url", dbURL}, wantErr: "unknown action"},
		{args: []string{"keys", "list", "--database-url", dbURL + ".typo"}, wantErr: "no database at"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		err := run(ctx, c.args, &out, &errOut)
		switch {
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("furrow %v: error %v, want %q", c.args, err, c.wantErr)
		case c.wantErr == "" && err != nil:
			t.Errorf("furrow %v: %v (%s)", c.args, err, errOut.String())
		case c.wantOut != "" && !strings.Contains(out.String(), c.wantOut):
			t.Errorf("furrow %v printed %q, want %q", c.args, out.String(), c.wantOut)
		}
	}
}

// TestServeShutsDown starts the server on free ports and stops it as SIGTERM would.
func TestServeShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out bytes.Buffer
	logs := &lockedBuffer{}
	go func() {
		done <- run(ctx, []string{"serve", "--database-url", "sqlite:" + filepath.Join(t.TempDir(), "s.db"),
			"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--log-format", "json"}, &out, logs)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logs.String(), `"msg":"serving"`) {
		if time.Now().After(deadline) {
			t.Fatalf("server did not start:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, logs.String())
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Errorf("no graceful stop logged:\n%s", logs.String())
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
