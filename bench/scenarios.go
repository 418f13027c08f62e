package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
)

// pageSize is the page size of the list scenarios.
const pageSize = 50

// op issues one request and reports whether it failed.
type op func(ctx context.Context) error

// scenario is one measured workload.
type scenario struct {
	name string
	// baseline names the raw-SQL scenario an API scenario is compared with; "" for the
	// baselines themselves.
	baseline string
	// rawSQL scenarios get env.sql: their own database/sql pool of -concurrency
	// connections, opened for the scenario and closed after it.
	rawSQL bool
	// worker returns one worker's operation; it is called once per worker, so the op
	// may keep state of its own.
	worker func(e *env) op
}

// allScenarios returns every scenario in the order they run by default.
func allScenarios() []scenario {
	return []scenario{
		{name: "baseline-get", rawSQL: true, worker: (*env).baselineGet},
		{name: "grpc-get", baseline: "baseline-get", worker: (*env).grpcGet},
		{name: "rest-get", baseline: "baseline-get", worker: (*env).restGet},
		{name: "baseline-list", rawSQL: true, worker: (*env).baselineList},
		{name: "grpc-list", baseline: "baseline-list", worker: (*env).grpcList},
		{name: "rest-list", baseline: "baseline-list", worker: (*env).restList},
		{name: "grpc-list-walk", baseline: "baseline-list", worker: (*env).grpcListWalk},
		// Not closed-loop scenarios: they run the partner-sync benchmark (sync.go) and
		// the health-score recompute benchmark (health.go) after the others.
		{name: syncScenario},
		{name: healthScenario},
	}
}

// env is what the scenarios run against.
type env struct {
	dbURL   string
	data    *dataset
	server  *sql.DB // the server's pool
	sql     *sql.DB // only in rawSQL scenarios
	grpc    furrowv1.AccountServiceClient
	http    *http.Client
	baseURL string // of the REST gateway, e.g. http://127.0.0.1:41234
	auth    string // the Authorization header of REST requests: "Bearer <admin key>"
	cpu     cpuMeter
}

// baselineGet reads a random account the way GetAccount does, with plain SQL.
func (e *env) baselineGet() op {
	return func(ctx context.Context) error {
		_, err := getAccountSQL(ctx, e.sql, e.data.randomID())
		return err
	}
}

// baselineList reads a page of pageSize accounts (plus one to know there is a next
// page) after a random account, the way ListAccounts does, with plain SQL.
func (e *env) baselineList() op {
	return func(ctx context.Context) error {
		// Leave at least pageSize+1 accounts after the cursor, so every page is full.
		after := e.data.byCreate[mrand.IntN(len(e.data.byCreate)-pageSize-1)]
		rows, err := listAccountsSQL(ctx, e.sql, after, pageSize+1)
		if err == nil && len(rows) != pageSize+1 {
			err = fmt.Errorf("got %d rows, want %d", len(rows), pageSize+1)
		}
		return err
	}
}

// grpcGet calls GetAccount for a random account.
func (e *env) grpcGet() op {
	return func(ctx context.Context) error {
		_, err := e.grpc.GetAccount(ctx, &furrowv1.GetAccountRequest{Name: "accounts/" + e.data.randomID().String()})
		return err
	}
}

// restGet GETs a random account through the REST gateway.
func (e *env) restGet() op {
	return func(ctx context.Context) error {
		return e.get(ctx, "/v1/accounts/"+e.data.randomID().String(), nil)
	}
}

// grpcList calls ListAccounts, alternating between the first page and the next one.
func (e *env) grpcList() op {
	return paging(func(ctx context.Context, token string) (string, error) {
		resp, err := e.grpc.ListAccounts(ctx, &furrowv1.ListAccountsRequest{PageSize: pageSize, PageToken: token})
		if err != nil {
			return "", err
		}
		if n := len(resp.GetAccounts()); n != pageSize {
			return "", fmt.Errorf("got %d accounts, want %d", n, pageSize)
		}
		return resp.GetNextPageToken(), nil
	})
}

// grpcListWalk pages through the whole collection with ListAccounts, following every
// next page token, and starts over after the last page: what an export or a sync
// does. Unlike grpc-list, it reaches pages deep in the collection.
func (e *env) grpcListWalk() op {
	var token string
	return func(ctx context.Context) error {
		resp, err := e.grpc.ListAccounts(ctx, &furrowv1.ListAccountsRequest{PageSize: pageSize, PageToken: token})
		if err != nil {
			token = ""
			return err
		}
		token = resp.GetNextPageToken()
		return nil
	}
}

// restList GETs /v1/accounts, alternating between the first page and the next one.
func (e *env) restList() op {
	var body bytes.Buffer // this worker's, reused
	return paging(func(ctx context.Context, token string) (string, error) {
		path := fmt.Sprintf("/v1/accounts?pageSize=%d", pageSize)
		if token != "" {
			// Following a token: the body is read but not needed.
			return "", e.get(ctx, path+"&pageToken="+url.QueryEscape(token), nil)
		}
		body.Reset()
		if err := e.get(ctx, path, &body); err != nil {
			return "", err
		}
		return nextPageToken(body.Bytes())
	})
}

// nextPageToken returns the nextPageToken of a REST list response. Decoding the whole
// response with encoding/json would cost the load generator, which shares the cores
// with the server, about 7 % of the scenario's CPU; protojson writes the token
// after the accounts, so finding it from the end is enough.
func nextPageToken(body []byte) (string, error) {
	const key = `"nextPageToken":`
	i := bytes.LastIndex(body, []byte(key))
	if i < 0 {
		return "", nil
	}
	var token string
	err := json.NewDecoder(bytes.NewReader(body[i+len(key):])).Decode(&token)
	return token, err
}

// paging returns a worker's list operation: odd requests fetch the first page, even
// ones the page after it, with the token the previous response returned, so both
// the plain and the keyset-seek query run. fetch returns the next page token.
func paging(fetch func(ctx context.Context, token string) (string, error)) op {
	var token string
	return func(ctx context.Context) error {
		t := token
		token = ""
		next, err := fetch(ctx, t)
		if err != nil || t != "" {
			return err
		}
		if next == "" {
			return errors.New("first page has no next page token")
		}
		token = next
		return nil
	}
}

// get GETs path from the REST gateway and reads the body into buf, or reads and
// discards it when buf is nil. Any status but 200 is an error.
func (e *env) get(ctx context.Context, path string, buf *bytes.Buffer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.baseURL+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", e.auth)
	resp, err := e.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("HTTP %s: %s", resp.Status, b)
	}
	if buf != nil {
		_, err = buf.ReadFrom(resp.Body)
	} else {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	return err
}
