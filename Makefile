# Furrow. `make run` starts the server on an embedded SQLite file; `make test` runs the
# whole test suite (SQLite and PostgreSQL). See README.md.
SHELL := /bin/bash
BUF := go tool -modfile=tools/go.mod buf
GO_PKGS := ./...

.PHONY: run test generate protos lint breaking check-generated migration check-migrations bench build fmt fmt-check vet fuzz clean

## run: start the server (gRPC :9090, REST :8080) on ./furrow.db
run:
	go run ./cmd/furrow serve

## build: build bin/furrow
build:
	go build -o bin/furrow ./cmd/furrow

## test: everything CI checks: formatting, vet, buf lint, generated code and migrations
## up to date, then all tests against SQLite and PostgreSQL.
test: fmt-check vet lint check-generated check-migrations
	go test -count=1 -timeout 20m $(GO_PKGS)

## protos: fetch imported .proto files into third_party/ (git-ignored)
protos:
	./scripts/fetch-protos.sh

## generate: regenerate gen/ (buf) and ent/ (ent) from api/ and ent/schema
generate: protos
	$(BUF) format -w api
	rm -rf gen && $(BUF) generate && ./scripts/gen-openapi-embed.sh
	go generate ./ent

## migration: write a migration for each dialect from ent/schema changes, NAME=what_changed
## (data statements added to it by hand: then `go run ./cmd/migrategen -rehash`)
migration:
	@test -n "$(NAME)" || { echo "usage: make migration NAME=add_something"; exit 2; }
	go run ./cmd/migrategen -name $(NAME)

check-migrations:
	go run ./cmd/migrategen -check

## check-generated: fail when regenerating would change api/, gen/ or ent/
check-generated: protos
	./scripts/check-generated.sh

lint: protos
	$(BUF) lint
	$(BUF) format api --diff --exit-code

## breaking: compare api/ with main's (WIRE_JSON)
breaking: protos
	rm -rf .build/against && git worktree add --detach .build/against main
	ln -s $(CURDIR)/third_party .build/against/third_party
	cd .build/against && $(BUF) build api -o $(CURDIR)/.build/against.binpb; \
	  status=$$?; git worktree remove --force .build/against; exit $$status
	$(BUF) breaking api --against .build/against.binpb

fmt:
	gofmt -w $$(git ls-files -co --exclude-standard '*.go' | grep -v -E '^(gen/|ent/[^s])')

fmt-check:
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go' | grep -v -E '^(gen/|ent/[^s])')); \
	  test -z "$$out" || { echo "gofmt needed:"; echo "$$out"; exit 1; }

vet:
	go vet $(GO_PKGS)

## fuzz: run each fuzz target for FUZZTIME (default 30s)
FUZZTIME ?= 30s
fuzz:
	go test -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZTIME) ./internal/filter/
	go test -run='^$$' -fuzz=FuzzDecode -fuzztime=$(FUZZTIME) ./internal/page/
	go test -run='^$$' -fuzz=FuzzOrderBy -fuzztime=$(FUZZTIME) ./internal/orderby/

## bench: the benchmark harness (PostgreSQL), ratios against in-run baselines
bench:
	go run ./bench

clean:
	rm -rf bin .build third_party furrow.db furrow.db-*
