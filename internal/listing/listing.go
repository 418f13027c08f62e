// Package listing is the shared machinery of List methods: a request's paging,
// filtering and ordering checked into parameters for a store, and the page a store's
// rows become, with an opaque next-page token bound to the query.
package listing

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/filter"
	"github.com/furrowhq/furrow/internal/orderby"
	"github.com/furrowhq/furrow/internal/page"
)

// ErrBadCursor means a page cursor's keys do not parse (a store returns it).
var ErrBadCursor = errors.New("bad cursor")

// Page is one page of a List.
type Page[T any] struct {
	Items         []T
	NextPageToken string
}

// Request is a List call's paging, filtering and ordering as the caller sent them.
type Request struct {
	PageSize    int32
	PageToken   string
	Filter      string
	OrderBy     string
	ShowDeleted bool
}

// Params are a checked List request.
type Params struct {
	Filter      filter.Expr
	Order       []orderby.Term // without the id tie-breaker, which the store adds
	Size        int
	After       *page.Cursor
	ShowDeleted bool
	Partner     string // restrict to records linked to this partner (partner callers)
}

// Parse checks a List request against a filter schema and orderable fields.
// scope binds page tokens to the collection (e.g. the parent).
func Parse(r Request, schema filter.Schema, orderable []string, defaultOrder []orderby.Term, scope string) (Params, string, error) {
	var vs []failure.Violation
	expr, err := filter.ParseAndCheck(r.Filter, schema)
	if err != nil {
		vs = append(vs, failure.Violation{Field: "filter", Description: strings.TrimPrefix(err.Error(), "filter: ")})
	}
	order, err := orderby.Parse(r.OrderBy, orderable)
	if err != nil {
		vs = append(vs, failure.Violation{Field: "order_by", Description: strings.TrimPrefix(err.Error(), "order_by: ")})
	}
	if len(vs) > 0 {
		return Params{}, "", failure.InvalidFields(vs)
	}
	if len(order) == 0 {
		order = defaultOrder
	}
	fp := page.Fingerprint(scope, filter.Format(expr), orderby.String(order), fmt.Sprint(r.ShowDeleted))
	after, ok, err := page.Decode(r.PageToken, fp)
	if err != nil {
		return Params{}, "", failure.InvalidFields([]failure.Violation{{Field: "page_token", Description: err.Error()}})
	}
	p := Params{Filter: expr, Order: order, Size: page.Size(r.PageSize), ShowDeleted: r.ShowDeleted}
	if ok {
		p.After = &after
	}
	return p, fp, nil
}

// Finish encodes the next page token, translating a store's ErrBadCursor.
func Finish[T any](items []T, next *page.Cursor, fp string, err error) (*Page[T], error) {
	if errors.Is(err, ErrBadCursor) {
		return nil, failure.InvalidFields([]failure.Violation{{Field: "page_token", Description: "page_token is malformed"}})
	}
	if err != nil {
		return nil, err
	}
	out := &Page[T]{Items: items}
	if next != nil {
		tok, err := page.EncodeChecked(fp, *next)
		if err != nil {
			return nil, err
		}
		out.NextPageToken = tok
	}
	return out, nil
}

// Plain lists a collection without filter or ordering options, one page of at most
// size items after token; the token is bound to kind and scope (e.g. the parent).
func Plain[T any](ctx context.Context, kind, scope string, size int32, token string,
	list func(context.Context, int, *page.Cursor) ([]T, *page.Cursor, error)) (*Page[T], error) {
	fp := page.Fingerprint(kind, scope)
	after, ok, err := page.Decode(token, fp)
	if err != nil {
		return nil, failure.InvalidFields([]failure.Violation{{Field: "page_token", Description: err.Error()}})
	}
	var ap *page.Cursor
	if ok {
		ap = &after
	}
	items, next, err := list(ctx, page.Size(size), ap)
	return Finish(items, next, fp, err)
}
