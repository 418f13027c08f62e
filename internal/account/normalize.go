package account

import (
	"strings"
	"unicode"
)

// NormalizeTaxID folds a tax id to upper-case letters and digits, so "91-3100 00ab"
// and "9131000 0AB" match.
func NormalizeTaxID(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}

// NormalizeDomain folds a web domain or URL to its lower-case host without `www.`, so
// "https://WWW.Example.com/about" and "example.com" match.
func NormalizeDomain(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndex(s, "@"); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.LastIndex(s, ":"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSuffix(s, ".")
	return strings.TrimPrefix(s, "www.")
}

// legalForms are company-form suffixes ignored when comparing names, so that
// "Acme Inc." and "ACME" are the same organisation.
var legalForms = []string{
	"股份有限公司", "有限责任公司", "有限公司", "集团",
	"incorporated", "corporation", "company", "limited", "gmbh", "inc", "ltd", "llc", "corp", "co", "plc", "ag", "sa",
}

// NormalizeName folds an organisation name to lower-case letters and digits without a
// trailing legal form.
func NormalizeName(s string) string {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	// Drop trailing legal forms ("acme co ltd" -> "acme"), keeping at least one word.
	for len(words) > 1 && isLegalForm(words[len(words)-1]) {
		words = words[:len(words)-1]
	}
	n := strings.Join(words, "")
	// CJK names have no spaces: strip a legal-form suffix from the joined name.
	for _, f := range legalForms[:4] {
		if t := strings.TrimSuffix(n, f); t != n && t != "" {
			n = t
			break
		}
	}
	return n
}

func isLegalForm(w string) bool {
	for _, f := range legalForms {
		if w == f {
			return true
		}
	}
	return false
}
