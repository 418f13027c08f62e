// Package page implements AIP-158 pagination: effective page sizes and
// opaque keyset page tokens bound to the query that issued them.
package page

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"unicode/utf8"
)

// DefaultSize is the page size used when the request leaves page_size unset
// (AIP-158: 0 means "server default").
const DefaultSize = 50

// MaxSize is the largest page served; larger requests are coerced down rather
// than rejected, as AIP-158 recommends.
const MaxSize = 1000

// Limits on tokens and cursors. They bound the work Decode does on untrusted
// input; a cursor outside them cannot round-trip (see EncodeChecked).
const (
	// MaxTokenLen is the longest page_token accepted, in bytes.
	MaxTokenLen = 2048
	// MaxKeys is the most sort-key values a cursor may carry.
	MaxKeys = 8
	// MaxKeyLen is the longest single sort-key value, in bytes: a display_name of 200
	// characters may take 800.
	MaxKeyLen = 1024
)

// version identifies the token layout so a future layout can reject (or
// migrate) old tokens explicitly instead of misreading them.
const version byte = 1

// checksumLen is the size of the trailing CRC-32. CRC-32 detects every burst
// of up to 32 bits, so any single edited base64 character (6 bits, at most two
// bytes) is always caught; it is an integrity check, not a signature.
const checksumLen = 4

// encoding is strict so that non-zero padding bits (an edited last character)
// are rejected instead of decoding to the same bytes. It is built per call to
// keep the package free of mutable globals; the copy is cheap.
func encoding() *base64.Encoding { return base64.RawURLEncoding.Strict() }

// ErrInvalidToken is wrapped by every error Decode returns, so the API layer
// can map it to INVALID_ARGUMENT with errors.Is and show Error() to people.
var ErrInvalidToken = errors.New("invalid page token")

// ErrCursorOutOfBounds is wrapped by EncodeChecked's errors for a cursor whose
// token Decode would reject (no keys, over the limits, or not UTF-8), so a
// server never hands out a next_page_token it cannot accept.
var ErrCursorOutOfBounds = errors.New("page cursor cannot be encoded as a valid token")

// tokenError carries a message meant for API clients while still matching
// ErrInvalidToken with errors.Is.
type tokenError struct{ msg string }

func (e *tokenError) Error() string { return e.msg }
func (e *tokenError) Unwrap() error { return ErrInvalidToken }

var (
	errMalformed = &tokenError{"page_token is malformed"}
	errTooLong   = &tokenError{"page_token is malformed: it is too long"}
	errVersion   = &tokenError{"page_token was issued by an incompatible server version; restart from the first page"}
	errMismatch  = &tokenError{"page_token is not valid for this query: it was issued for a request with different parameters (such as parent, filter or order_by)"}
)

// Size returns the effective page size for a requested page_size: the default
// for 0 (and for negative sizes, which validation rejects before this point),
// MaxSize for anything larger than MaxSize.
func Size(requested int32) int {
	switch {
	case requested <= 0:
		return DefaultSize
	case requested > MaxSize:
		return MaxSize
	default:
		return int(requested)
	}
}

// Cursor is the position after the last row of a page: that row's sort-key
// values in sort order, ending with the id tie-breaker, each encoded as text by
// the caller (e.g. RFC 3339 nano for times). Keys must be valid UTF-8.
type Cursor struct {
	Keys []string
}

// Fingerprint condenses the parameters that shape a query (parent, filter,
// canonical order_by, show_deleted, ...) so a token reused with a different
// query is rejected instead of silently returning wrong rows. Each part is
// length-prefixed before hashing, so ("ab", "c") and ("a", "bc") differ. The
// result is the first 12 bytes of SHA-256 in base64url (16 characters).
func Fingerprint(parts ...string) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, p := range parts {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(p)))])
		h.Write([]byte(p))
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12])
}

// Encode returns an opaque, URL-safe page token holding fingerprint and c.
// Decode rejects tokens for cursors with no keys, keys over MaxKeys/MaxKeyLen
// or not UTF-8, or that encode to more than MaxTokenLen (about 1.5 KiB of
// keys); use EncodeChecked when keys come from unbounded user data.
func Encode(fingerprint string, c Cursor) string {
	// Layout: version, uvarint-prefixed fingerprint, uvarint key count,
	// uvarint-prefixed keys, CRC-32 of everything before it (big endian).
	b := make([]byte, 0, 32+len(fingerprint)+8*len(c.Keys))
	b = append(b, version)
	b = appendString(b, fingerprint)
	b = binary.AppendUvarint(b, uint64(len(c.Keys)))
	for _, k := range c.Keys {
		b = appendString(b, k)
	}
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	return encoding().EncodeToString(b)
}

// EncodeChecked is Encode for cursors that might not round-trip: it returns an
// error wrapping ErrCursorOutOfBounds if Decode would reject the token, because
// a next_page_token the server refuses would strand the client mid-listing.
func EncodeChecked(fingerprint string, c Cursor) (string, error) {
	if err := checkCursor(c); err != nil {
		return "", err
	}
	t := Encode(fingerprint, c)
	if len(t) > MaxTokenLen {
		return "", fmt.Errorf("%w: token would be %d bytes, limit %d", ErrCursorOutOfBounds, len(t), MaxTokenLen)
	}
	return t, nil
}

func checkCursor(c Cursor) error {
	if len(c.Keys) == 0 || len(c.Keys) > MaxKeys {
		return fmt.Errorf("%w: %d keys, want 1 to %d", ErrCursorOutOfBounds, len(c.Keys), MaxKeys)
	}
	for i, k := range c.Keys {
		if len(k) > MaxKeyLen {
			return fmt.Errorf("%w: key %d is %d bytes, limit %d", ErrCursorOutOfBounds, i, len(k), MaxKeyLen)
		}
		if !utf8.ValidString(k) {
			return fmt.Errorf("%w: key %d is not valid UTF-8", ErrCursorOutOfBounds, i)
		}
	}
	return nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Decode parses a page token issued by Encode for the same fingerprint. An
// empty token means "first page" and returns ok=false with no error. Any
// other failure (malformed, tampered, other version, over the limits, or
// issued for a different query) returns an error wrapping ErrInvalidToken
// whose text is meant for API clients. A valid token has at least one key.
func Decode(token, fingerprint string) (c Cursor, ok bool, err error) {
	if token == "" {
		return Cursor{}, false, nil
	}
	if len(token) > MaxTokenLen {
		return Cursor{}, false, errTooLong
	}
	b, err := encoding().DecodeString(token)
	if err != nil {
		return Cursor{}, false, errMalformed
	}
	if len(b) < 1+checksumLen {
		return Cursor{}, false, errMalformed
	}
	body, sum := b[:len(b)-checksumLen], b[len(b)-checksumLen:]
	if binary.BigEndian.Uint32(sum) != crc32.ChecksumIEEE(body) {
		return Cursor{}, false, errMalformed
	}
	if body[0] != version {
		return Cursor{}, false, errVersion
	}
	r := reader{b: body[1:]}
	fp, okFP := r.string(len(body))
	n, okN := r.uvarint()
	if !okFP || !okN || n == 0 || n > MaxKeys {
		return Cursor{}, false, errMalformed
	}
	keys := make([]string, n)
	for i := range keys {
		k, okK := r.string(MaxKeyLen)
		if !okK || !utf8.ValidString(k) {
			return Cursor{}, false, errMalformed
		}
		keys[i] = k
	}
	if len(r.b) != 0 {
		return Cursor{}, false, errMalformed
	}
	// Checked after parsing so that garbage is reported as malformed rather
	// than as belonging to another query.
	if fp != fingerprint {
		return Cursor{}, false, errMismatch
	}
	c = Cursor{Keys: keys}
	// base64 decoding ignores newlines and varints admit padded forms; only
	// the canonical spelling is accepted so each cursor has exactly one token.
	if Encode(fingerprint, c) != token {
		return Cursor{}, false, errMalformed
	}
	return c, true, nil
}

// reader consumes the length-prefixed fields of a token body.
type reader struct{ b []byte }

func (r *reader) uvarint() (uint64, bool) {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		return 0, false
	}
	r.b = r.b[n:]
	return v, true
}

func (r *reader) string(max int) (string, bool) {
	n, ok := r.uvarint()
	if !ok || n > uint64(max) || n > uint64(len(r.b)) {
		return "", false
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s, true
}
