package page

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestSize(t *testing.T) {
	tests := []struct {
		in   int32
		want int
	}{
		{0, DefaultSize},
		{-1, DefaultSize},
		{math.MinInt32, DefaultSize},
		{1, 1},
		{50, 50},
		{999, 999},
		{1000, 1000},
		{1001, MaxSize},
		{math.MaxInt32, MaxSize},
	}
	for _, tt := range tests {
		if got := Size(tt.in); got != tt.want {
			t.Errorf("Size(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestFingerprint(t *testing.T) {
	a := Fingerprint("shelves/1", "title = \"x\"", "create_time desc", "false")
	if b := Fingerprint("shelves/1", "title = \"x\"", "create_time desc", "false"); a != b {
		t.Errorf("not deterministic: %q != %q", a, b)
	}
	if len(a) != 16 || strings.ContainsAny(a, "+/=") {
		t.Errorf("Fingerprint = %q, want 16 base64url characters", a)
	}
	distinct := [][]string{
		nil,
		{""},
		{"", ""},
		{"ab", "c"},
		{"a", "bc"},
		{"abc"},
		{"a", "b", "c"},
		{"shelves/1", "", "create_time desc", "false"},
		{"shelves/1", "", "create_time desc", "true"},
		{"shelves/2", "", "create_time desc", "false"},
	}
	seen := map[string][]string{}
	for _, parts := range distinct {
		fp := Fingerprint(parts...)
		if prev, dup := seen[fp]; dup {
			t.Errorf("Fingerprint(%q) == Fingerprint(%q) = %q", parts, prev, fp)
		}
		seen[fp] = parts
	}
}

func TestRoundTrip(t *testing.T) {
	fp := Fingerprint("shelves/1", "", "create_time desc")
	tests := []struct {
		name string
		keys []string
	}{
		{"id only", []string{"0193e8a2-6c1b-7c4e-9f3a-1d2e3f405162"}},
		{"time and id", []string{"2025-01-02T03:04:05.123456789Z", "42"}},
		{"commas and quotes", []string{`a,b`, `"quoted", 'single'`, `{"json":true}`}},
		{"unicode", []string{"Zoë", "日本語", "🙂", "\u00a0"}},
		{"empty strings", []string{"", "", "x"}},
		{"all empty", []string{""}},
		{"control and separators", []string{"\x00", "\n\t", "=&?/+%"}},
		{"max keys", slices.Repeat([]string{"k"}, MaxKeys)},
		{"max key len", []string{strings.Repeat("a", MaxKeyLen)}},
		{"max key len multibyte", []string{strings.Repeat("é", MaxKeyLen/2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := Encode(fp, Cursor{Keys: tt.keys})
			if tok == "" {
				t.Fatal("empty token")
			}
			if strings.Trim(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
				t.Errorf("token %q is not URL-safe", tok)
			}
			if tok2, err := EncodeChecked(fp, Cursor{Keys: tt.keys}); err != nil || tok2 != tok {
				t.Errorf("EncodeChecked = %q, %v; want %q, nil", tok2, err, tok)
			}
			c, ok, err := Decode(tok, fp)
			if err != nil || !ok {
				t.Fatalf("Decode = %v, %v, %v", c, ok, err)
			}
			if !slices.Equal(c.Keys, tt.keys) {
				t.Errorf("keys = %q, want %q", c.Keys, tt.keys)
			}
		})
	}
}

func TestTokenIsOpaque(t *testing.T) {
	tok := Encode(Fingerprint("x"), Cursor{Keys: []string{"secret-ish value", "123"}})
	if strings.Contains(tok, "secret") || strings.Contains(tok, "{") {
		t.Errorf("token %q exposes its contents", tok)
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	if raw[0] == '{' || raw[0] == '[' {
		t.Errorf("token decodes to JSON-like text %q", raw)
	}
}

func TestDecodeEmpty(t *testing.T) {
	c, ok, err := Decode("", Fingerprint("x"))
	if err != nil || ok || c.Keys != nil {
		t.Errorf("Decode(\"\") = %v, %v, %v; want zero cursor, false, nil", c, ok, err)
	}
}

func TestDecodeFingerprintMismatch(t *testing.T) {
	tok := Encode(Fingerprint("shelves/1", "a = 1"), Cursor{Keys: []string{"1"}})
	for _, fp := range []string{Fingerprint("shelves/1", "a = 2"), Fingerprint("shelves/2", "a = 1"), ""} {
		_, ok, err := Decode(tok, fp)
		if !errors.Is(err, ErrInvalidToken) || ok {
			t.Fatalf("Decode with fingerprint %q: ok=%v err=%v; want ErrInvalidToken", fp, ok, err)
		}
		if !strings.Contains(err.Error(), "not valid for this query") {
			t.Errorf("message %q does not explain the mismatch", err)
		}
	}
}

// rawToken builds a token from an arbitrary body with a valid checksum, to
// reach the checks behind it.
func rawToken(body []byte) string {
	return encoding().EncodeToString(appendChecksum(body))
}

func appendChecksum(b []byte) []byte {
	return binary.BigEndian.AppendUint32(slices.Clone(b), crc32.ChecksumIEEE(b))
}

func TestDecodeInvalid(t *testing.T) {
	fp := Fingerprint("shelves/1")
	good := Encode(fp, Cursor{Keys: []string{"2025-01-02T03:04:05Z", "abc"}})
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	tests := []struct {
		name  string
		token string
		msg   string // substring of the message
	}{
		{"flip first", flip(good, 0), "malformed"},
		{"flip middle", flip(good, len(good)/2), "malformed"},
		{"flip last", flip(good, len(good)-1), "malformed"},
		{"truncate one", good[:len(good)-1], "malformed"},
		{"truncate half", good[:len(good)/2], "malformed"},
		{"append char", good + "A", "malformed"},
		{"append token", good + good, "malformed"},
		{"padding", good + "==", "malformed"},
		{"newline", good[:4] + "\n" + good[4:], "malformed"},
		{"std alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(good) + "+/", "malformed"},
		{"not base64", "!!!!", "malformed"},
		{"random base64", base64.RawURLEncoding.EncodeToString([]byte("random bytes that are not a token")), "malformed"},
		{"json", base64.RawURLEncoding.EncodeToString([]byte(`{"keys":["1"]}`)), "malformed"},
		{"single char", "A", "malformed"},
		{"too long", strings.Repeat("A", MaxTokenLen+1), "too long"},
		{"wrong version", rawToken(append([]byte{2}, mustBody(t, fp, "1")[1:]...)), "version"},
		{"version zero", rawToken(append([]byte{0}, mustBody(t, fp, "1")[1:]...)), "version"},
		{"only checksum", rawToken(nil), "malformed"},
		{"only version", rawToken([]byte{version}), "malformed"},
		{"zero keys", Encode(fp, Cursor{}), "malformed"},
		{"too many keys", Encode(fp, Cursor{Keys: slices.Repeat([]string{"k"}, MaxKeys+1)}), "malformed"},
		{"key too long", Encode(fp, Cursor{Keys: []string{strings.Repeat("a", MaxKeyLen+1)}}), "malformed"},
		{"invalid utf8 key", Encode(fp, Cursor{Keys: []string{"\xff"}}), "malformed"},
		{"trailing bytes", rawToken(append(mustBody(t, fp, "1"), 0)), "malformed"},
		{"key length past end", rawToken(append(mustBody(t, fp)[:len(mustBody(t, fp))-1], 1, 5, 'a')), "malformed"},
		{"huge key count", rawToken(append(mustBody(t, fp)[:len(mustBody(t, fp))-1], 0xff, 0xff, 0xff, 0xff, 0x0f)), "malformed"},
		{"non-minimal varint", rawToken(append(mustBody(t, fp)[:len(mustBody(t, fp))-1], 0x81, 0x00, 1, 'a')), "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok, err := Decode(tt.token, fp)
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Decode(%q) = %v, %v, %v; want ErrInvalidToken", tt.token, c, ok, err)
			}
			if ok || c.Keys != nil {
				t.Errorf("Decode returned ok=%v keys=%q with an error", ok, c.Keys)
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), "page_token ") {
				t.Errorf("message %q, want it to mention %q", err, tt.msg)
			}
		})
	}
}

// mustBody returns the unencoded token body (without checksum) for keys.
func mustBody(t *testing.T, fp string, keys ...string) []byte {
	t.Helper()
	raw, err := encoding().DecodeString(Encode(fp, Cursor{Keys: keys}))
	if err != nil {
		t.Fatal(err)
	}
	return raw[:len(raw)-checksumLen]
}

// TestDecodeEveryEdit checks that every single-character edit of a token is
// rejected, which the CRC guarantees.
func TestDecodeEveryEdit(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	fp := Fingerprint("p")
	tok := Encode(fp, Cursor{Keys: []string{"2025-01-02T03:04:05.999999999Z", "Zoë", "0193e8a2"}})
	for i := range len(tok) {
		for _, r := range alphabet {
			if byte(r) == tok[i] {
				continue
			}
			bad := tok[:i] + string(r) + tok[i+1:]
			if _, _, err := Decode(bad, fp); !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("edit %q at %d accepted", r, i)
			}
		}
	}
	for i := 1; i < len(tok); i++ {
		if _, _, err := Decode(tok[:i], fp); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("truncation to %d accepted", i)
		}
	}
}

func TestEncodeChecked(t *testing.T) {
	fp := Fingerprint("p")
	bad := []Cursor{
		{},
		{Keys: slices.Repeat([]string{"k"}, MaxKeys+1)},
		{Keys: []string{strings.Repeat("a", MaxKeyLen+1)}},
		{Keys: []string{"\xff"}},
		// Within the per-key limits, but the token would exceed MaxTokenLen.
		{Keys: slices.Repeat([]string{strings.Repeat("a", MaxKeyLen)}, 2)},
	}
	for _, c := range bad {
		if tok, err := EncodeChecked(fp, c); !errors.Is(err, ErrCursorOutOfBounds) || tok != "" {
			t.Errorf("EncodeChecked(%d keys) = %q, %v; want ErrCursorOutOfBounds", len(c.Keys), tok, err)
		}
	}
	// The largest cursor that fits must round-trip.
	c := Cursor{Keys: []string{strings.Repeat("a", MaxKeyLen), strings.Repeat("c", 400)}}
	tok, err := EncodeChecked(fp, c)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok, err := Decode(tok, fp); err != nil || !ok || !slices.Equal(got.Keys, c.Keys) {
		t.Errorf("Decode = %v, %v, %v", got.Keys, ok, err)
	}
}

func FuzzDecode(f *testing.F) {
	fp := Fingerprint("shelves/1", "", "create_time desc")
	f.Add(Encode(fp, Cursor{Keys: []string{"2025-01-02T03:04:05Z", "1"}}))
	f.Add(Encode(fp, Cursor{Keys: []string{"", "a,b", `"q"`, "日本"}}))
	f.Add(Encode(Fingerprint("other"), Cursor{Keys: []string{"1"}}))
	f.Add(Encode(fp, Cursor{}))
	f.Add("")
	f.Add("AQ")
	f.Add("!!")
	f.Add(strings.Repeat("A", MaxTokenLen+1))
	f.Fuzz(func(t *testing.T, token string) {
		checkDecode(t, token, fp)
	})
}

// FuzzTokenBody fuzzes the token body behind a valid checksum, which random
// tokens almost never get past, so the parser itself is exercised.
func FuzzTokenBody(f *testing.F) {
	fp := Fingerprint("shelves/1", "", "create_time desc")
	for _, keys := range [][]string{{"1"}, {"2025-01-02T03:04:05Z", "1"}, {"", "a,b", `"q"`, "日本"}, nil} {
		raw, _ := encoding().DecodeString(Encode(fp, Cursor{Keys: keys}))
		f.Add(raw[:len(raw)-checksumLen])
	}
	f.Add([]byte{version, 0, 1, 0})
	f.Add([]byte{version, 0x81, 0x00})
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecode(t, rawToken(body), fp)
	})
}

// checkDecode asserts Decode's contract for any token: an error wrapping
// ErrInvalidToken, or a bounded cursor that is the token's only spelling.
func checkDecode(t *testing.T, token, fp string) {
	t.Helper()
	c, ok, err := Decode(token, fp)
	if err != nil {
		if !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("error %v does not wrap ErrInvalidToken", err)
		}
		if ok || c.Keys != nil {
			t.Fatalf("error with ok=%v keys=%q", ok, c.Keys)
		}
		return
	}
	if !ok {
		if token != "" || c.Keys != nil {
			t.Fatalf("ok=false for non-empty token %q", token)
		}
		return
	}
	if len(c.Keys) == 0 || len(c.Keys) > MaxKeys {
		t.Fatalf("accepted %d keys", len(c.Keys))
	}
	again := Encode(fp, c)
	if again != token {
		t.Fatalf("accepted non-canonical token %q (canonical %q)", token, again)
	}
	c2, ok2, err := Decode(again, fp)
	if err != nil || !ok2 || !slices.Equal(c.Keys, c2.Keys) {
		t.Fatalf("re-encoded token decodes to %q, %v, %v; want %q", c2.Keys, ok2, err, c.Keys)
	}
}
