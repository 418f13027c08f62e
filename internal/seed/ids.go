package seed

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// usccChars are the characters of a unified social credit code (GB 32100-2015), in
// value order; I, O, Z, S and V are not used.
const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// uscc returns an 18-character unified social credit code: registration authority and
// organisation type (e.g. "91" for a company, "11" for a government body), the
// 6-digit administrative division code, a 9-character organisation code with its
// GB 11714 check character, and the GB 32100 check character.
func uscc(r *rand.Rand, kind, division string) string {
	body := make([]byte, 8)
	for i := range body {
		if i < 2 || r.IntN(4) > 0 {
			body[i] = '0' + byte(r.IntN(10))
		} else {
			body[i] = usccChars[10+r.IntN(len(usccChars)-10)]
		}
	}
	code := kind + division + string(body) + string(orgCodeCheck(body))
	return code + string(usccCheck(code))
}

// orgCodeCheck is the GB 11714 check character of an 8-character organisation code.
func orgCodeCheck(body []byte) byte {
	weights := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, c := range body {
		v := int(c - '0')
		if c >= 'A' {
			v = int(c-'A') + 10
		}
		sum += v * weights[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X'
	case 11:
		return '0'
	default:
		return '0' + byte(c)
	}
}

// usccCheck is the GB 32100 check character of the first 17 characters of a code.
func usccCheck(code17 string) byte {
	sum := 0
	for i := range 17 {
		sum += strings.IndexByte(usccChars, code17[i]) * usccWeights[i]
	}
	return usccChars[(31-sum%31)%31]
}

func digits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0' + byte(r.IntN(10))
	}
	return string(b)
}

func letters(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'A' + byte(r.IntN(26))
	}
	return string(b)
}

// foreignTaxID returns a tax or company registration number in the format of country
// code cc.
func foreignTaxID(r *rand.Rand, cc string) string {
	switch cc {
	case "us": // employer identification number
		return fmt.Sprintf("%02d-%s", 10+r.IntN(90), digits(r, 7))
	case "ca": // business number with a GST/HST program account
		return digits(r, 9) + " RT0001"
	case "gb":
		d := digits(r, 9)
		return "GB " + d[:3] + " " + d[3:7] + " " + d[7:]
	case "de":
		return "DE" + digits(r, 9)
	case "nl":
		return "NL" + digits(r, 9) + "B01"
	case "fr":
		return "FR" + digits(r, 2) + digits(r, 9)
	case "sg": // UEN: year of registration, 5 digits, check letter
		return fmt.Sprintf("%d%s%s", 2005+r.IntN(20), digits(r, 5), letters(r, 1))
	case "au": // ABN
		d := digits(r, 9)
		return fmt.Sprintf("%d %s %s %s", 51+r.IntN(48), d[:3], d[3:6], d[6:])
	case "jp": // corporate number
		return fmt.Sprintf("%d%s", 1+r.IntN(9), digits(r, 12))
	case "mx": // RFC: 3 letters, date of incorporation, homoclave
		return fmt.Sprintf("%s%02d%02d%02d%s", letters(r, 3), r.IntN(25), 1+r.IntN(12), 1+r.IntN(28), letters(r, 2)+digits(r, 1))
	case "br": // CNPJ
		d := digits(r, 8)
		return fmt.Sprintf("%s.%s.%s/0001-%s", d[:2], d[2:5], d[5:], digits(r, 2))
	case "cl": // RUT
		d := digits(r, 8)
		check := "0123456789K"[r.IntN(11)]
		return fmt.Sprintf("%s.%s.%s-%c", d[:2], d[2:5], d[5:], check)
	}
	return digits(r, 10)
}

// phone returns a phone number in country cc (or "cn"); North American and British
// numbers are in the ranges reserved for fiction.
func phone(r *rand.Rand, cc string) string {
	switch cc {
	case "cn":
		d := digits(r, 8)
		return fmt.Sprintf("+86 1%c%d %s %s", "3589"[r.IntN(4)], r.IntN(10), d[:4], d[4:])
	case "us", "ca":
		return fmt.Sprintf("+1 %d 555 01%02d", 200+r.IntN(800), r.IntN(100))
	case "gb":
		return fmt.Sprintf("+44 20 7946 0%03d", r.IntN(1000))
	}
	codes := []struct{ cc, prefix string }{
		{"de", "+49 89"}, {"nl", "+31 10"}, {"fr", "+33 4"}, {"sg", "+65 6"}, {"au", "+61 7"},
		{"jp", "+81 6"}, {"mx", "+52 81"}, {"br", "+55 41"}, {"cl", "+56 2"},
	}
	for _, c := range codes {
		if c.cc == cc {
			return c.prefix + " " + digits(r, 4) + " " + digits(r, 4)
		}
	}
	return "+1 555 01" + digits(r, 2)
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// salesforceID returns a 15-character Salesforce account id (key prefix 001).
func salesforceID(r *rand.Rand) string {
	b := []byte("0015g00000")
	for range 5 {
		b = append(b, base62[r.IntN(len(base62))])
	}
	return string(b)
}
