package activity

import (
	"context"

	"github.com/furrowhq/furrow/internal/filter"
	"github.com/furrowhq/furrow/internal/listing"
	"github.com/furrowhq/furrow/internal/page"
)

// Store reads the log.
type Store interface {
	ListActivities(ctx context.Context, p listing.Params) ([]Entry, *page.Cursor, error)
}

// Service serves the log.
type Service struct{ store Store }

// NewService returns a Service over store.
func NewService(store Store) *Service { return &Service{store: store} }

// Filter is the schema of ListActivities filters.
var Filter = filter.Schema{
	"actor":       {Kind: filter.String},
	"actor_role":  {Kind: filter.Enum, Values: []string{"ADMIN", "MEMBER", "VIEWER", "PARTNER", "ROLE_ADMIN", "ROLE_MEMBER", "ROLE_VIEWER", "ROLE_PARTNER"}},
	"partner":     {Kind: filter.String},
	"method":      {Kind: filter.String},
	"resource":    {Kind: filter.String},
	"action":      {Kind: filter.String},
	"request_id":  {Kind: filter.String},
	"create_time": {Kind: filter.Timestamp},
}

// List lists the log, newest first.
func (s *Service) List(ctx context.Context, r listing.Request) (*listing.Page[Entry], error) {
	p, fp, err := listing.Parse(r, Filter, nil, nil, "activities")
	if err != nil {
		return nil, err
	}
	items, next, err := s.store.ListActivities(ctx, p)
	return listing.Finish(items, next, fp, err)
}
