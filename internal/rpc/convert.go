package rpc

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/furrowhq/furrow/internal/failure"
)

// Enums travel as their API names (REVENUE_TIER_KEY) and are stored by the domain as the
// name without its prefix (KEY); unspecified is "".

type protoEnum interface {
	~int32
	String() string
}

func enumToDomain[E protoEnum](e E, prefix string) string {
	if e == 0 {
		return ""
	}
	return strings.TrimPrefix(e.String(), prefix)
}

func enumFromDomain[E ~int32](values map[string]int32, prefix, v string) E {
	if v == "" {
		return 0
	}
	return E(values[prefix+v])
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func tsPtr(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}

func fromTS(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime().UTC()
}

// fromDate converts a calendar date; field names it in errors.
func fromDate(d *date.Date, field string) (time.Time, error) {
	if d == nil || (d.Year == 0 && d.Month == 0 && d.Day == 0) {
		return time.Time{}, nil
	}
	t := time.Date(int(d.Year), time.Month(d.Month), int(d.Day), 0, 0, 0, 0, time.UTC)
	if d.Year < 1 || d.Month < 1 || d.Month > 12 || d.Day < 1 || t.Day() != int(d.Day) {
		return time.Time{}, failure.InvalidFields([]failure.Violation{{Field: field,
			Description: fmt.Sprintf("%04d-%02d-%02d is not a calendar date", d.Year, d.Month, d.Day)}})
	}
	return t, nil
}

func toDate(t time.Time) *date.Date {
	if t.IsZero() {
		return nil
	}
	return &date.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

// parseName parses a resource name of the form "accounts/{id}[/coll/{id}]" into ids.
// The proto rules already checked the form; this guards the conversion.
func parseName(name, field string, collections ...string) ([]uuid.UUID, error) {
	parts := strings.Split(name, "/")
	bad := failure.InvalidFields([]failure.Violation{{Field: field,
		Description: fmt.Sprintf("%q is not a resource name of the form %s", name, pattern(collections))}})
	if len(parts) != 2*len(collections) {
		return nil, bad
	}
	ids := make([]uuid.UUID, len(collections))
	for i, c := range collections {
		if parts[2*i] != c {
			return nil, bad
		}
		id, err := uuid.Parse(parts[2*i+1])
		if err != nil {
			return nil, bad
		}
		ids[i] = id
	}
	return ids, nil
}

func pattern(collections []string) string {
	var b strings.Builder
	for i, c := range collections {
		if i > 0 {
			b.WriteByte('/')
		}
		fmt.Fprintf(&b, "%s/{id}", c)
	}
	return b.String()
}

func accountID(name, field string) (uuid.UUID, error) {
	ids, err := parseName(name, field, "accounts")
	if err != nil {
		return uuid.Nil, err
	}
	return ids[0], nil
}

func childID(name, field, collection string) (uuid.UUID, uuid.UUID, error) {
	ids, err := parseName(name, field, "accounts", collection)
	if err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	return ids[0], ids[1], nil
}

// updatePaths returns the top-level fields an update names (AIP-134). Nested paths
// ("amount.minor_units", which grpc-gateway derives from a JSON body) name their
// top-level field; without a mask, the populated fields of msg are meant, except the
// identity and concurrency fields.
func updatePaths(mask *fieldmaskpb.FieldMask, msg protoreflect.ProtoMessage) []string {
	var paths []string
	seen := map[string]bool{}
	add := func(p string) {
		if i := strings.IndexByte(p, '.'); i >= 0 {
			p = p[:i]
		}
		if p == "name" || p == "etag" || outputOnly[p] || seen[p] {
			return
		}
		seen[p] = true
		paths = append(paths, p)
	}
	if len(mask.GetPaths()) > 0 {
		for _, p := range mask.GetPaths() {
			add(p)
		}
		return paths
	}
	msg.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		if !outputOnly[string(fd.Name())] {
			add(string(fd.Name()))
		}
		return true
	})
	return paths
}

// outputOnly are the OUTPUT_ONLY fields of resources: a client that sends back a resource
// it read, without a mask, does not mean to change them (AIP-203: they are ignored).
var outputOnly = map[string]bool{
	"owner": true, "first_owner": true, "primary_contact": true, "primary": true,
	"create_time": true, "update_time": true, "delete_time": true,
	"version": true, "version_create_time": true,
}
