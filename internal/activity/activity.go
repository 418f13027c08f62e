// Package activity is the activity log: who changed what, when and with which request.
// Domain packages record entries in the transaction of each change; this package also
// serves the log to admins.
package activity

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/requestid"
)

// Entry is one entry of the log.
type Entry struct {
	ID            int64 // assigned when stored; increases in commit order
	CreateTime    time.Time
	Actor         string
	ActorRole     string
	Partner       string
	Method        string
	Resource      string
	Action        string
	ChangedFields []string
	RequestID     string
	Account       uuid.UUID // the account the change belongs to, for the change feed; uuid.Nil if none
}

// New returns the entry for a change of resource made now by ctx's caller.
func New(ctx context.Context, now time.Time, resource, action string, account uuid.UUID, changed []string) Entry {
	c := auth.CallerFrom(ctx)
	return Entry{
		CreateTime: now, Actor: c.Name, ActorRole: string(c.Role), Partner: c.Partner,
		Method: auth.MethodFrom(ctx), Resource: resource, Action: action, ChangedFields: changed,
		RequestID: requestid.From(ctx), Account: account,
	}
}
