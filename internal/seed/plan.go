package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/health"
)

// plan is everything the seed does for one account. All plans are drawn before the
// first call to the service, so what is skipped never shifts the random stream.
type plan struct {
	account        account.Account // what CreateAccount receives (funnel stage EXPOSURE)
	stage          int             // index into account.FunnelStages to walk up to
	owner          string          // "" when nobody claims the account
	claimReason    string
	transferTo     string // "" when it is not transferred
	transferReason string
	contacts       []account.Contact
	newPrimary     int // index of a later contact made primary; 0 for none
	primaryReason  string
	deals          []account.Deal // in close-date order, the first a FIRST_PURCHASE
	interactions   []account.Interaction
	cohort         string          // how its engagement went over the last year (signals.go)
	signals        []health.Signal // without Account, which the account's creation gives
}

// generator draws plans; the sets keep names, tax ids, domains and external ids unique
// within a run, by the domain's own normalisation.
type generator struct {
	r       *rand.Rand
	today   time.Time // midnight UTC: every generated date lies before it
	names   map[string]bool
	taxIDs  map[string]bool
	domains map[string]bool
	extIDs  map[string]bool
}

// makePlans draws n account plans from seed; dates are relative to today.
func makePlans(n int, seed int64, today time.Time) []plan {
	g := &generator{
		r:       rand.New(rand.NewPCG(uint64(seed), 0x5eedf0220f)),
		today:   today.UTC().Truncate(24 * time.Hour),
		names:   map[string]bool{},
		taxIDs:  map[string]bool{},
		domains: map[string]bool{},
		extIDs:  map[string]bool{},
	}
	out := make([]plan, n)
	for i := range out {
		out[i] = g.plan()
		makeSignals(rand.New(rand.NewPCG(uint64(seed), signalStream+uint64(i))), &out[i], g.today)
	}
	return out
}

// weighted returns an index drawn with the given weights.
func weighted(r *rand.Rand, weights ...int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := r.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// between returns an int in [lo, hi].
func between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

// org is the organisation part of a plan, before the account is assembled.
type org struct {
	zh       bool
	name     string
	taxID    string
	domain   string // without "www."
	region   string
	place    string // city, for summaries
	country  string // "cn" or a countries code
	industry string
}

// dealStage is the index of the DEAL funnel stage.
var dealStage = slices.Index(account.FunnelStages, "DEAL")

func (g *generator) plan() plan {
	r := g.r
	ind := industries[weighted(r, industryWeights()...)]
	zh := r.IntN(100) < 60
	o := g.organisation(zh, ind)

	// Funnel: EXPOSURE 10%, LEAD 12%, OPPORTUNITY 13%, DEAL 20%, DELIVERY 30%, EXPANSION 15%.
	stage := weighted(r, 10, 12, 13, 20, 30, 15)
	customer := stage >= dealStage

	tier := []string{"KEY", "GENERAL", "SMALL", ""}[weighted(r, 10, 40, 40, 10)]
	var size string
	switch tier {
	case "KEY":
		size = account.Sizes[2+weighted(r, 1, 4, 5)]
	case "SMALL":
		size = account.Sizes[weighted(r, 3, 5, 2)]
	default:
		size = account.Sizes[weighted(r, 1, 3, 4, 2, 1)]
	}
	if ind.key == "government" && size == "MICRO" {
		size = "MEDIUM"
	}
	var status string
	if customer {
		status = account.ActivityStatuses[weighted(r, 2, 66, 20, 12)]
	} else {
		status = account.ActivityStatuses[weighted(r, 40, 50, 5, 5)]
	}
	var role string
	switch {
	case customer && r.IntN(100) < 14:
		role = pick(r, account.StrategicRoles)
	case !customer && r.IntN(100) < 3:
		role = "PARTNER"
	}
	var labels []string
	for _, i := range r.Perm(len(labelSet))[:weighted(r, 35, 35, 20, 10)] {
		labels = append(labels, labelSet[i])
	}
	var ext map[string]string
	if r.IntN(100) < 30 {
		ext = map[string]string{"salesforce": g.unique(g.extIDs, func() string { return "salesforce:" + salesforceID(r) })[len("salesforce:"):]}
		if r.IntN(100) < 25 {
			ext["hubspot"] = g.unique(g.extIDs, func() string { return "hubspot:" + fmt.Sprint(1000000000+r.Int64N(9000000000)) })[len("hubspot:"):]
		}
	}
	p := plan{
		account: account.Account{
			DisplayName: o.name, TaxID: o.taxID, Domain: o.domain, Industry: o.industry, Region: o.region,
			Size: size, Labels: labels, ExternalIDs: ext, RevenueTier: tier, StrategicRole: role,
			ActivityStatus: status, FunnelStage: account.FunnelStages[0],
		},
		stage: stage,
	}

	// Ownership: customers are nearly always claimed, prospects about half the time.
	team := enOwners
	if zh {
		team = zhOwners
	}
	if claimed := r.IntN(100); (customer && claimed < 95) || (!customer && claimed < 55) {
		p.owner = pick(r, team) + ownerDomain
		if zh {
			p.claimReason = pick(r, zhClaimReasons)
		} else {
			p.claimReason = pick(r, enClaimReasons)
		}
		if r.IntN(100) < 20 {
			for p.transferTo == "" || p.transferTo == p.owner {
				p.transferTo = pick(r, team) + ownerDomain
			}
			if zh {
				p.transferReason = pick(r, zhTransferReasons)
			} else {
				p.transferReason = pick(r, enTransferReasons)
			}
		}
	}

	g.contacts(&p, o)
	g.deals(&p, o, customer)
	g.interactions(&p, o, customer, team)
	return p
}

func industryWeights() []int {
	w := make([]int, len(industries))
	for i, ind := range industries {
		w[i] = ind.weight
	}
	return w
}

// unique draws values until one is not in set, then adds it.
func (g *generator) unique(set map[string]bool, draw func() string) string {
	for {
		v := draw()
		if !set[v] {
			set[v] = true
			return v
		}
	}
}

// uniqueTaxID draws tax ids until one is free by the domain's normalisation.
func (g *generator) uniqueTaxID(draw func() string) string {
	for {
		v := draw()
		if k := account.NormalizeTaxID(v); !g.taxIDs[k] {
			g.taxIDs[k] = true
			return v
		}
	}
}

// claimName reserves name if its normalised form is free.
func (g *generator) claimName(name string) bool {
	k := account.NormalizeName(name)
	if g.names[k] {
		return false
	}
	g.names[k] = true
	return true
}

// claimDomain reserves the first free domain of candidates.
func (g *generator) claimDomain(candidates ...string) string {
	for _, d := range candidates {
		if k := account.NormalizeDomain(d); !g.domains[k] {
			g.domains[k] = true
			return d
		}
	}
	base := candidates[0]
	dot := strings.IndexByte(base, '.')
	for n := 2; ; n++ {
		d := fmt.Sprintf("%s%d%s", base[:dot], n, base[dot:])
		if k := account.NormalizeDomain(d); !g.domains[k] {
			g.domains[k] = true
			return d
		}
	}
}

// organisation draws a name unique within the run, with tax id, domain and region.
func (g *generator) organisation(zh bool, ind industry) org {
	r := g.r
	o := org{zh: zh, industry: ind.key}
	var domains []string
	if zh {
		city := pick(r, zhCities)
		o.region, o.place, o.country = city.region, city.name, "cn"
		if ind.key == "government" {
			for attempt := 0; ; attempt++ {
				dept := pick(r, zhGovDepts)
				o.name = city.name + "市" + dept.zh
				if attempt > 20 {
					city = pick(r, zhCities)
					o.region, o.place = city.region, city.name
					o.name = fmt.Sprintf("%s市%s第%d分中心", city.name, dept.zh, attempt)
				}
				if g.claimName(o.name) {
					domains = []string{dept.slug + "." + city.slug + ".gov.cn", dept.slug + "-" + city.slug + ".gov.cn"}
					break
				}
			}
			o.taxID = g.uniqueTaxID(func() string { return uscc(r, "11", city.code) })
			o.domain = g.claimDomain(domains...)
			return o
		}
		for attempt := 0; ; attempt++ {
			city = pick(r, zhCities)
			brand, iw := pick(r, zhBrands), pick(r, ind.zh)
			form := "有限公司"
			if r.IntN(100) < 12 {
				form = "股份有限公司"
			}
			trade := brand.zh
			if attempt > 30 { // the word lists are exhausted: two trade names
				b2 := pick(r, zhBrands)
				trade, brand.slug = brand.zh+b2.zh, brand.slug+b2.slug
			}
			o.name = city.name + trade + iw.zh + form
			if attempt > 200 {
				o.name = fmt.Sprintf("%s%s%s%d号%s", city.name, trade, iw.zh, attempt, form)
			}
			if g.claimName(o.name) {
				o.region, o.place = city.region, city.name
				tld := pick(r, zhTLDs)
				domains = []string{brand.slug + iw.slug + tld, brand.slug + tld, brand.slug + "-" + iw.slug + tld, city.slug + brand.slug + tld}
				if r.IntN(2) == 0 {
					domains[0], domains[1] = domains[1], domains[0]
				}
				break
			}
		}
	} else {
		c := countries[weighted(r, countryWeights()...)]
		o.region, o.country = c.region, c.code
		for attempt := 0; ; attempt++ {
			place := pick(r, c.places)
			o.place = place
			if ind.key == "government" {
				dept := pick(r, enGovDepts)
				o.name = place + " " + dept.name
				if attempt > 20 {
					o.name = fmt.Sprintf("%s %s District %d", place, dept.name, attempt)
				}
				slug := slugify(place)
				domains = []string{dept.slug + "." + slug + c.govTLD, slug + dept.slug + c.govTLD}
			} else {
				brand, iw := pick(r, enBrands), pick(r, ind.en)
				if attempt > 30 {
					brand += " " + pick(r, enBrands)
				}
				o.name = brand + " " + iw
				if attempt > 200 {
					o.name = fmt.Sprintf("%s %d", o.name, attempt)
				}
				o.name += " " + pick(r, c.forms)
				b, w := slugify(brand), slugify(iw)
				domains = []string{b + w + c.tld, b + "-" + w + c.tld, b + c.tld, b + w + "group" + c.tld}
				if r.IntN(3) == 0 {
					domains[0], domains[1] = domains[1], domains[0]
				}
			}
			if g.claimName(o.name) {
				break
			}
		}
	}
	// Most have both keys, some only one, a few neither (matched by name only).
	hasTax, hasDomain := true, true
	switch weighted(r, 70, 12, 10, 8) {
	case 1:
		hasDomain = false
	case 2:
		hasTax = false
	case 3:
		hasTax, hasDomain = false, false
	}
	if ind.key == "government" {
		hasTax, hasDomain = true, true
	}
	if hasTax {
		o.taxID = g.uniqueTaxID(func() string {
			if zh {
				return uscc(r, "91", zhCityCode(o.place))
			}
			return foreignTaxID(r, o.country)
		})
	}
	if hasDomain {
		o.domain = g.claimDomain(domains...)
	}
	return o
}

func zhCityCode(name string) string {
	for _, c := range zhCities {
		if c.name == name {
			return c.code
		}
	}
	return "110000"
}

func countryWeights() []int {
	w := make([]int, len(countries))
	for i, c := range countries {
		w[i] = c.weight
	}
	return w
}

// slugify folds a name to lower-case ASCII letters and digits for domains and emails.
func slugify(s string) string {
	s = strings.NewReplacer("ü", "u", "é", "e", "á", "a", "í", "i", "ó", "o", "ñ", "n").Replace(strings.ToLower(s))
	var b strings.Builder
	for _, c := range s {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

func (g *generator) contacts(p *plan, o org) {
	r := g.r
	n := 1 + weighted(r, 20, 30, 25, 15, 10)
	used := map[string]bool{}
	for range n {
		seniority := weighted(r, 25, 40, 35)
		var role string
		switch seniority {
		case 0:
			role = account.DecisionRoles[weighted(r, 70, 30, 0)]
		case 1:
			role = account.DecisionRoles[weighted(r, 20, 60, 20)]
		default:
			role = account.DecisionRoles[weighted(r, 0, 25, 75)]
		}
		attitude := []string{"SUPPORTER", "NEUTRAL", "OPPONENT", ""}[weighted(r, 42, 38, 14, 6)]
		c := account.Contact{
			SeniorityLevel: account.SeniorityLevels[seniority], DecisionRole: role, Attitude: attitude,
		}
		var local string
		chineseName := o.zh || (o.region == "apac" && r.IntN(100) < 30)
		for {
			if chineseName {
				s, gn := pick(r, zhSurnames), pick(r, zhGivenNames)
				c.DisplayName, local = s.zh+gn.zh, s.slug+"."+gn.slug
			} else {
				f, l := pick(r, enFirstNames), pick(r, enLastNames)
				c.DisplayName, local = f+" "+l, slugify(f)+"."+slugify(l)
			}
			if !used[c.DisplayName] {
				used[c.DisplayName] = true
				break
			}
		}
		if o.zh {
			c.Title = pick(r, zhTitles[seniority])
		} else {
			c.Title = pick(r, enTitles[seniority])
		}
		if o.domain != "" && r.IntN(100) < 92 {
			c.Email = local + "@" + o.domain
		}
		if r.IntN(100) < 70 {
			c.Phone = phone(r, o.country)
		}
		p.contacts = append(p.contacts, c)
	}
	if n >= 2 && r.IntN(100) < 15 {
		p.newPrimary = between(r, 1, n-1)
		if o.zh {
			p.primaryReason = pick(r, zhPrimaryReasons)
		} else {
			p.primaryReason = pick(r, enPrimaryReasons)
		}
	}
}

// tierRange is the usual deal size of a revenue tier, in CNY.
func tierRange(tier string) (lo, hi float64) {
	switch tier {
	case "KEY":
		return 400_000, 3_000_000
	case "GENERAL":
		return 60_000, 400_000
	case "SMALL":
		return 8_000, 60_000
	}
	return 20_000, 150_000
}

func (g *generator) amount(tier, kind string, zh bool) account.Money {
	r := g.r
	lo, hi := tierRange(tier)
	v := lo * math.Pow(hi/lo, r.Float64())
	switch kind {
	case "UPSELL":
		v *= 0.2 + 0.3*r.Float64()
	case "RENEWAL":
		v *= 0.5 + 0.4*r.Float64()
	case "REFERRAL":
		v *= 0.6 + 0.4*r.Float64()
	}
	if zh {
		yuan := max(int64(math.Round(v/100))*100, 100)
		return account.Money{CurrencyCode: "CNY", MinorUnits: yuan * 100}
	}
	usd := max(int64(math.Round(v/7.1/10))*10, 10)
	return account.Money{CurrencyCode: "USD", MinorUnits: usd * 100}
}

func (g *generator) deals(p *plan, o org, customer bool) {
	if !customer {
		return
	}
	r := g.r
	var n int
	switch account.FunnelStages[p.stage] {
	case "DEAL":
		n = between(r, 1, 2)
	case "DELIVERY":
		n = between(r, 1, 4)
	default:
		n = between(r, 2, 6)
	}
	// Close dates over the last three years, oldest first, at least a month apart.
	var ago []int
	for len(ago) < n {
		d := between(r, 7, 3*365)
		if !slices.ContainsFunc(ago, func(x int) bool { return abs(x-d) < 30 }) {
			ago = append(ago, d)
		}
	}
	slices.Sort(ago)
	slices.Reverse(ago)
	products, addOns := enProducts, enAddOns
	if o.zh {
		products, addOns = zhProducts, zhAddOns
	}
	for i, d := range ago {
		kind := account.KindFirstPurchase
		if i > 0 {
			kind = []string{account.KindRepurchase, "UPSELL", "RENEWAL", "REFERRAL"}[weighted(r, 35, 25, 30, 10)]
		}
		var product string
		switch kind {
		case "UPSELL":
			product = pick(r, addOns)
		case "RENEWAL":
			// A renewal renews a subscription bought about a year or more before.
			var renewable []string
			for j, prev := range p.deals {
				if prev.Kind != "UPSELL" && ago[j]-d >= 330 {
					renewable = append(renewable, prev.Product)
				}
			}
			if len(renewable) > 0 {
				product = renewable[len(renewable)-1]
			} else {
				kind, product = account.KindRepurchase, pick(r, products)
			}
		default:
			product = pick(r, products)
		}
		p.deals = append(p.deals, account.Deal{
			Amount:    g.amount(p.account.RevenueTier, kind, o.zh),
			CloseDate: g.today.AddDate(0, 0, -d),
			Kind:      kind,
			Product:   product,
		})
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// workHours is the UTC hour a working day starts in a region.
func workHours(region string) int {
	switch region {
	case "europe":
		return 8
	case "north-america":
		return 14
	case "latam":
		return 12
	}
	return 1 // China and APAC: 09:00 UTC+8
}

func (g *generator) interactions(p *plan, o org, customer bool, team []string) {
	r := g.r
	n := between(r, 2, 6)
	if customer {
		n = between(r, 3, 12)
	}
	summaries := enSummaries
	if o.zh {
		summaries = zhSummaries
	}
	products := enProducts
	if o.zh {
		products = zhProducts
	}
	for range n {
		k := weighted(r, 25, 20, 10, 25, 8, 12)
		if !customer && account.InteractionKinds[k] == "SUPPORT" {
			k = 0
		}
		ago := between(r, 1, 548)
		at := g.today.AddDate(0, 0, -ago).Add(time.Duration(workHours(o.region))*time.Hour +
			time.Duration(r.IntN(9*4))*15*time.Minute)
		// Who ran it: the owner at the time, or a team member before anyone claimed it.
		who := p.owner
		if p.transferTo != "" && ago < 120 {
			who = p.transferTo
		}
		if who == "" {
			who = pick(r, team) + ownerDomain
		}
		contact := pick(r, p.contacts).DisplayName
		participants := []string{who, contact}
		if len(p.contacts) > 1 && r.IntN(3) == 0 {
			if other := pick(r, p.contacts).DisplayName; other != contact {
				participants = append(participants, other)
			}
		}
		product := pick(r, products)
		if len(p.deals) > 0 {
			product = pick(r, p.deals).Product
		}
		summary := strings.NewReplacer("{c}", contact, "{p}", product, "{city}", o.place).Replace(pick(r, summaries[k]))
		p.interactions = append(p.interactions, account.Interaction{
			Kind: account.InteractionKinds[k], OccurTime: at, Participants: participants, Summary: summary,
		})
	}
	slices.SortStableFunc(p.interactions, func(a, b account.Interaction) int { return a.OccurTime.Compare(b.OccurTime) })
}
