// Package failure defines the kinds of errors the domain reports to callers, so that one
// mapping in internal/rpc turns them into gRPC statuses with the right code and details.
// Messages are for people: they say what was wrong and with which value.
package failure

import (
	"errors"
	"fmt"
)

// Kind is the class of a failure; each maps to one gRPC code.
type Kind int

// The kinds of failure.
const (
	Invalid            Kind = iota + 1 // the request is malformed (INVALID_ARGUMENT)
	NotFound                           // a named resource does not exist (NOT_FOUND)
	AlreadyExists                      // it would duplicate an existing resource (ALREADY_EXISTS)
	FailedPrecondition                 // the resource's state forbids it (FAILED_PRECONDITION)
	Aborted                            // a concurrent change won, e.g. a stale etag (ABORTED)
	PermissionDenied                   // the caller may not do it (PERMISSION_DENIED)
	Unauthenticated                    // the caller is not known (UNAUTHENTICATED)
	Unavailable                        // try again shortly, e.g. the database is busy (UNAVAILABLE)
)

// Violation is one bad field of a request.
type Violation struct {
	Field       string // the field path as the API spells it, e.g. "account.display_name"
	Description string
}

// Error is a failure to report to the caller.
type Error struct {
	Kind       Kind
	Msg        string
	Reason     string      // a stable UPPER_SNAKE reason for machines, e.g. "DUPLICATE_ACCOUNT"
	Resource   string      // the resource concerned (e.g. the existing duplicate), if any
	Violations []Violation // for Invalid
}

func (e *Error) Error() string { return e.Msg }

// Newf returns an Error of kind k with a formatted message.
func Newf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// WithReason sets the machine-readable reason and returns e.
func (e *Error) WithReason(reason string) *Error { e.Reason = reason; return e }

// WithResource sets the resource concerned and returns e.
func (e *Error) WithResource(name string) *Error { e.Resource = name; return e }

// InvalidFields returns an Invalid error listing vs; nil when vs is empty.
func InvalidFields(vs []Violation) error {
	if len(vs) == 0 {
		return nil
	}
	msg := "invalid request: " + vs[0].Field + ": " + vs[0].Description
	if len(vs) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(vs)-1)
	}
	return &Error{Kind: Invalid, Msg: msg, Violations: vs}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Is reports whether err is a failure of kind k.
func Is(err error, k Kind) bool {
	e, ok := As(err)
	return ok && e.Kind == k
}
