// Package apikey generates, parses and verifies API keys.
//
// A key looks like "fw_<prefix>_<secret>". The prefix is 10 lower-case base32
// characters (a-z, 2-7) that identify the key: it is stored in clear, shown in key
// lists and indexed. The secret is 43 base64url characters (32 random bytes, no
// padding). Because the secret's alphabet includes '_', a key is split by position,
// not by searching for underscores.
//
// Keys carry 256 bits of randomness, so a fast hash is the right storage form: the
// server stores [Key.Hash] (SHA-256 of the whole key) and checks a presented key
// with [Verify]. A slow password hash such as bcrypt would add nothing but latency.
package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

const (
	tag          = "fw_"
	prefixLen    = 10
	secretBytes  = 32
	secretLen    = 43 // base64.RawURLEncoding.EncodedLen(secretBytes)
	keyLen       = len(tag) + prefixLen + 1 + secretLen
	prefixDigits = "abcdefghijklmnopqrstuvwxyz234567"
)

// ErrMalformed is returned (wrapped) by [Parse] for a string that is not an API key.
// Its messages never contain the presented string, so they are safe to show and log.
var ErrMalformed = errors.New("malformed API key")

// Key is an API key split into its parts. Its String form is the secret credential:
// do not log a Key or its Secret; use [Redact] or the Prefix.
type Key struct {
	// Prefix is the public identifier: 10 characters from a-z and 2-7.
	Prefix string
	// Secret is 43 base64url characters encoding 32 random bytes.
	Secret string
}

// New makes a key from crypto/rand.
func New() (Key, error) {
	var buf [prefixLen + secretBytes]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return Key{}, fmt.Errorf("apikey: %w", err)
	}
	var p [prefixLen]byte
	for i, b := range buf[:prefixLen] {
		p[i] = prefixDigits[b&31] // 256 is a multiple of 32: uniform
	}
	return Key{
		Prefix: string(p[:]),
		Secret: base64.RawURLEncoding.EncodeToString(buf[prefixLen:]),
	}, nil
}

// String returns the full key as the caller presents it: "fw_<prefix>_<secret>".
func (k Key) String() string { return tag + k.Prefix + "_" + k.Secret }

// Hash returns the value stored for the key: SHA-256 of the full key string (32 bytes).
func (k Key) Hash() []byte {
	h := sha256.Sum256([]byte(k.String()))
	return h[:]
}

// Parse splits a presented key. If s is not of the form "fw_<prefix>_<secret>" it
// returns an error wrapping [ErrMalformed] whose message never echoes s.
func Parse(s string) (Key, error) {
	if len(s) != keyLen {
		return Key{}, fmt.Errorf("%w: want %d characters, got %d", ErrMalformed, keyLen, len(s))
	}
	if !strings.HasPrefix(s, tag) || s[len(tag)+prefixLen] != '_' {
		return Key{}, fmt.Errorf("%w: want the form fw_<prefix>_<secret>", ErrMalformed)
	}
	prefix := s[len(tag) : len(tag)+prefixLen]
	secret := s[len(tag)+prefixLen+1:]
	for i := 0; i < len(prefix); i++ {
		if strings.IndexByte(prefixDigits, prefix[i]) < 0 {
			return Key{}, fmt.Errorf("%w: bad character in prefix", ErrMalformed)
		}
	}
	for i := 0; i < len(secret); i++ {
		if !isBase64URL(secret[i]) {
			return Key{}, fmt.Errorf("%w: bad character in secret", ErrMalformed)
		}
	}
	// Strict rejects non-zero trailing bits, so each 32-byte secret has exactly one
	// spelling (the alphabet check above already excluded the CR/LF it would skip).
	if _, err := base64.RawURLEncoding.Strict().DecodeString(secret); err != nil {
		return Key{}, fmt.Errorf("%w: bad secret encoding", ErrMalformed)
	}
	return Key{Prefix: prefix, Secret: secret}, nil
}

func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// Verify reports whether k hashes to stored. The comparison takes time independent of
// the contents of either value.
func Verify(k Key, stored []byte) bool {
	h := sha256.Sum256([]byte(k.String()))
	return subtle.ConstantTimeCompare(h[:], stored) == 1
}

// FromAuthorization extracts the key from an Authorization header value of the form
// "Bearer <key>". The scheme is matched case-insensitively and surrounding spaces are
// trimmed. It returns ("", false) if v holds no bearer token. The token is not
// checked: pass it to [Parse].
func FromAuthorization(v string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return "", false
	}
	return token, true
}

// Redact returns "fw_<prefix>_…" for logs, never the secret. For a string that is
// not a well-formed key it returns "(malformed)".
func Redact(s string) string {
	k, err := Parse(s)
	if err != nil {
		return "(malformed)"
	}
	return tag + k.Prefix + "_…"
}
