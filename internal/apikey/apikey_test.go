package apikey

import (
	"errors"
	"strings"
	"testing"
)

const (
	goodPrefix = "abcdefgh27"
	goodSecret = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8" // bytes 0..31
	goodKey    = "fw_" + goodPrefix + "_" + goodSecret
)

func mustNew(t *testing.T) Key {
	t.Helper()
	k, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestRoundTrip(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		k := mustNew(t)
		if len(k.Prefix) != 10 || len(k.Secret) != 43 {
			t.Fatalf("lengths: prefix %d, secret %d", len(k.Prefix), len(k.Secret))
		}
		s := k.String()
		if seen[k.Prefix] {
			t.Fatalf("prefix repeated: %s", k.Prefix)
		}
		seen[k.Prefix] = true
		p, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(New().String()): %v", err)
		}
		if p != k {
			t.Fatalf("Parse = %+v, want %+v", p, k)
		}
		h := k.Hash()
		if len(h) != 32 {
			t.Fatalf("hash length %d", len(h))
		}
		if !Verify(p, h) {
			t.Fatal("Verify(parsed, hash) = false")
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	k, other := mustNew(t), mustNew(t)
	stored := k.Hash()
	if Verify(other, stored) {
		t.Error("Verify accepted another key")
	}
	// Change one character of the secret to another valid one.
	b := []byte(k.Secret)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	tampered, err := Parse("fw_" + k.Prefix + "_" + string(b))
	if err != nil {
		t.Fatal(err)
	}
	if Verify(tampered, stored) {
		t.Error("Verify accepted a tampered secret")
	}
	if Verify(Key{Prefix: other.Prefix, Secret: k.Secret}, stored) {
		t.Error("Verify accepted the secret under another prefix")
	}
	if Verify(k, stored[:31]) || Verify(k, nil) {
		t.Error("Verify accepted a truncated stored hash")
	}
}

func TestParse(t *testing.T) {
	if k, err := Parse(goodKey); err != nil || k.Prefix != goodPrefix || k.Secret != goodSecret {
		t.Fatalf("Parse(goodKey) = %+v, %v", k, err)
	}
	// The secret alphabet includes '_' and '-'.
	withUnderscore := "fw_" + goodPrefix + "_" + "_-" + goodSecret[2:]
	if _, err := Parse(withUnderscore); err != nil {
		t.Errorf("secret containing _ and -: %v", err)
	}

	bad := map[string]string{
		"empty":                   "",
		"no tag":                  goodPrefix + "_" + goodSecret,
		"wrong tag":               "fx_" + goodPrefix + "_" + goodSecret,
		"upper-case tag":          "FW_" + goodPrefix + "_" + goodSecret,
		"other separator":         "fw_" + goodPrefix + "-" + goodSecret,
		"short prefix":            "fw_" + goodPrefix[:9] + "_" + goodSecret,
		"long prefix":             "fw_" + goodPrefix + "a_" + goodSecret,
		"short prefix, long secr": "fw_" + goodPrefix[:9] + "_A" + goodSecret,
		"short secret":            "fw_" + goodPrefix + "_" + goodSecret[:42],
		"long secret":             "fw_" + goodPrefix + "_" + goodSecret + "A",
		"padded secret":           "fw_" + goodPrefix + "_" + goodSecret + "=",
		"upper-case prefix":       "fw_" + "ABCDEFGH27" + "_" + goodSecret,
		"digit 0 in prefix":       "fw_" + "abcdefgh20" + "_" + goodSecret,
		"digit 1 in prefix":       "fw_" + "abcdefgh21" + "_" + goodSecret,
		"digit 8 in prefix":       "fw_" + "abcdefgh28" + "_" + goodSecret,
		"underscore in prefix":    "fw_" + "abcd_fgh27" + "_" + goodSecret,
		"extra underscore front":  "fw__" + goodPrefix + "_" + goodSecret,
		"extra underscore mid":    "fw_" + goodPrefix + "__" + goodSecret,
		"extra underscore end":    goodKey + "_",
		"plus in secret":          "fw_" + goodPrefix + "_" + "+" + goodSecret[1:],
		"slash in secret":         "fw_" + goodPrefix + "_" + "/" + goodSecret[1:],
		"space in secret":         "fw_" + goodPrefix + "_" + " " + goodSecret[1:],
		"newline in secret":       "fw_" + goodPrefix + "_" + "\n" + goodSecret[1:],
		"non-ascii in secret":     "fw_" + goodPrefix + "_" + "é" + goodSecret[2:],
		"trailing bits set":       "fw_" + goodPrefix + "_" + goodSecret[:42] + "h",
		"leading space":           " " + goodKey[:len(goodKey)-1],
		"bearer included":         "Bearer " + goodKey,
	}
	for name, s := range bad {
		_, err := Parse(s)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Parse(%q) error = %v, want ErrMalformed", name, s, err)
			continue
		}
		if len(s) > 4 && strings.Contains(err.Error(), s[4:]) || strings.Contains(err.Error(), goodSecret[:8]) {
			t.Errorf("%s: error %q echoes the input", name, err)
		}
	}
}

func TestFromAuthorization(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"Bearer " + goodKey, goodKey, true},
		{"bearer " + goodKey, goodKey, true},
		{"BEARER " + goodKey, goodKey, true},
		{"  Bearer   " + goodKey + "  ", goodKey, true},
		{"Bearer abc", "abc", true}, // not checked here; Parse rejects it
		{"", "", false},
		{"   ", "", false},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Bearer    ", "", false},
		{goodKey, "", false},
		{"Basic dXNlcjpwYXNz", "", false},
		{"Bearer" + goodKey, "", false},
		{"Bearerx " + goodKey, "", false},
	} {
		got, ok := FromAuthorization(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("FromAuthorization(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestRedact(t *testing.T) {
	k := mustNew(t)
	r := Redact(k.String())
	if r != "fw_"+k.Prefix+"_…" {
		t.Errorf("Redact = %q", r)
	}
	if strings.Contains(r, k.Secret) || strings.Contains(r, k.Secret[:4]) {
		t.Errorf("Redact(%q) = %q contains the secret", k, r)
	}
	for _, s := range []string{"", "garbage", goodKey[:50], goodKey + "x", "Bearer " + goodKey} {
		if r := Redact(s); r != "(malformed)" {
			t.Errorf("Redact(%q) = %q, want (malformed)", s, r)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(goodKey)
	f.Add("")
	f.Add("fw_")
	f.Add("fw_" + goodPrefix + "_")
	f.Add("fw_" + goodPrefix + "_" + goodSecret[:42] + "h")
	f.Add("fw_" + goodPrefix + "__" + goodSecret[1:])
	f.Add("fw_" + goodPrefix + "_" + "\n" + goodSecret[1:])
	f.Fuzz(func(t *testing.T, s string) {
		k, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			if Redact(s) != "(malformed)" {
				t.Fatalf("Redact of malformed = %q", Redact(s))
			}
			return
		}
		if k.String() != s {
			t.Fatalf("Parse(%q).String() = %q", s, k.String())
		}
		if !Verify(k, k.Hash()) {
			t.Fatal("Verify(k, k.Hash()) = false")
		}
		if r := Redact(s); strings.Contains(r, k.Secret) {
			t.Fatalf("Redact(%q) = %q", s, r)
		}
	})
}
