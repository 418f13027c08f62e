package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/health"
)

// Cohorts: how an account's engagement has gone over the last year. The cohort shapes
// its health signals; the relationship measures (contacts, interactions, repurchases)
// come from the archive the plan already holds.
const (
	cohortThriving = "thriving" // high and rising usage, engaged, trusting
	cohortSteady   = "steady"   // moderate, flat
	cohortSlipping = "slipping" // used to be engaged; dropping over the last few months
	cohortDormant  = "dormant"  // went quiet months ago
)

var cohorts = []string{cohortThriving, cohortSteady, cohortSlipping, cohortDormant}

// signalSource is the source of every signal the seed sends.
const signalSource = "seed"

// signalStream is the second PCG word of an account's signal stream: signals draw from
// their own stream per account, so adding or changing them never shifts the archive
// the seed draws (names, deals, interactions) nor another account's signals.
const signalStream = 0x5167a15ee0000000

// warmth is how the archive already rates p's relationship, 0–100: how recently and
// how often the team talked to it (last 90 days), at how many seniority levels it has
// contacts, and its repurchases in the last year.
func warmth(p *plan, today time.Time) float64 {
	recent, last := 0, 10000
	for _, in := range p.interactions {
		ago := int(today.Sub(in.OccurTime).Hours() / 24)
		if ago < 90 {
			recent++
		}
		last = min(last, ago)
	}
	levels := map[string]bool{}
	for _, c := range p.contacts {
		if c.SeniorityLevel != "" {
			levels[c.SeniorityLevel] = true
		}
	}
	sum := 15*max(0, 1-float64(last)/90) + 10*min(1, float64(recent)/6) + 10*min(1, float64(len(levels))/3)
	weight := 35.0
	if len(p.deals) > 1 {
		repurchases := 0
		for _, d := range p.deals[1:] {
			if today.Sub(d.CloseDate) < 365*24*time.Hour {
				repurchases++
			}
		}
		sum += 10 * []float64{0.3, 0.7, 1}[min(repurchases, 2)]
		weight += 10
	}
	return 100 * sum / weight
}

// chooseCohort draws p's cohort, weighted by what the archive already says: its activity
// status, its relationship's warmth, and its funnel stage.
func chooseCohort(r *rand.Rand, p *plan, today time.Time) string {
	var w [4]int // thriving, steady, slipping, dormant
	switch warm := warmth(p, today); {
	case p.account.ActivityStatus == "CHURNED":
		w = [4]int{0, 5, 30, 65}
	case p.account.ActivityStatus == "AT_RISK":
		w = [4]int{5, 35, 48, 12}
	case warm >= 55:
		w = [4]int{85, 13, 2, 0}
	case warm >= 40:
		w = [4]int{75, 20, 4, 1}
	case warm >= 25:
		w = [4]int{50, 32, 12, 6}
	default:
		w = [4]int{22, 36, 27, 15}
	}
	if account.FunnelStages[p.stage] == "EXPANSION" {
		w[0] += 25 // buying more: usually going well
	}
	return cohorts[weighted(r, w[:]...)]
}

// level is the account's engagement ago days before today, relative to its usual
// (1), by cohort: thriving climbs to it, steady stays there, slipping falls from its
// turn (turn days ago) to 40% today, and dormant stops dead at its turn.
func level(cohort string, ago, turn int) float64 {
	switch cohort {
	case cohortThriving:
		return 1 - 0.3*float64(ago)/365
	case cohortSlipping:
		if ago < turn {
			return 0.4 + 0.6*float64(ago)/float64(turn)
		}
	case cohortDormant:
		if ago < turn {
			return 0
		}
	}
	return 1
}

// signalGen draws one account's signals.
type signalGen struct {
	r      *rand.Rand
	today  time.Time
	region string
	out    []health.Signal
}

// at is a time during the working day ago days before today (always before today).
func (g *signalGen) at(ago int) time.Time {
	return g.today.AddDate(0, 0, -ago).Add(time.Duration(workHours(g.region))*time.Hour +
		time.Duration(g.r.IntN(9*4))*15*time.Minute)
}

// add appends a signal; its id is the measure and a key stable across runs (a week or
// month number counted back from today, or an event's own key), so a rerun sends the
// same ids and the service keeps the stored signals.
func (g *signalGen) add(measure, key string, value float64, at time.Time) {
	g.out = append(g.out, health.Signal{
		Measure: measure, ValueMicros: int64(math.Round(value * 1e6)), Time: at,
		Source: signalSource, SignalID: "seed-" + measure + "-" + key,
	})
}

// occasional adds events of measure (value 1): between n[0] and n[1] in the last 180
// days, between n[2] and n[3] in the half-year before. A slipping account keeps a
// quarter of those after its turn, a dormant one none.
func (g *signalGen) occasional(measure, prefix, cohort string, turn int, n [4]int) {
	k := 0
	for half, lo := range []int{1, 180} {
		for range between(g.r, n[2*half], n[2*half+1]) {
			ago := between(g.r, lo, lo+178)
			keep := cohort == cohortThriving || cohort == cohortSteady || ago >= turn ||
				(cohort == cohortSlipping && g.r.IntN(4) == 0)
			if keep {
				g.add(measure, fmt.Sprintf("%s%d", prefix, k), 1, g.at(ago))
			}
			k++
		}
	}
}

// makeSignals draws p's cohort and the signals a product-analytics feed, the marketing
// platform and the customer-success team would have sent about it over the last year,
// under the measure keys the default scorecard reads (features_used, logins,
// feature_requests, events_attended, content_read_rate, shares, trust_rating). Every
// signal lies before today. r must be the account's own stream.
func makeSignals(r *rand.Rand, p *plan, today time.Time) {
	p.cohort = chooseCohort(r, p, today)
	g := &signalGen{r: r, today: today, region: p.account.Region}
	c, ci := p.cohort, slices.Index(cohorts, p.cohort)
	// turn: when slipping began or dormancy set in.
	turn := between(r, 45, 120)
	if c == cohortDormant {
		turn = between(r, 100, 300)
	}
	jitter := func(x float64) float64 { return x * (0.75 + 0.5*r.Float64()) }

	// Product usage: customers since their first purchase (within the year), and
	// prospects at OPPORTUNITY during a trial.
	start := -1
	switch stage := account.FunnelStages[p.stage]; {
	case p.stage >= dealStage && len(p.deals) > 0:
		start = min(364, int(today.Sub(p.deals[0].CloseDate).Hours()/24))
	case stage == "OPPORTUNITY":
		start = between(r, 28, 84)
		if c == cohortDormant {
			start, turn = between(r, 150, 300), between(r, 90, 140) // a trial that went nowhere
		}
	}
	if start >= 0 {
		// Logins: weekly totals; a busy account logs in 60+ times a month.
		base := []float64{17, 11, 13, 10}[ci]
		for w := 0; w*7+1 <= start; w++ {
			ago := w*7 + 1
			if c == cohortDormant && ago < turn {
				continue
			}
			g.add("logins", fmt.Sprintf("w%02d", w), math.Round(jitter(base*level(c, ago, turn))), g.at(ago))
		}
		// Features used: a monthly snapshot of distinct features in use (of about 10).
		fbase := []float64{9.2, 7.5, 6.5, 4}[ci]
		for m := 0; m*30+3 <= start; m++ {
			ago := m*30 + 3
			if c == cohortDormant && ago < turn {
				continue
			}
			v := math.Round(min(10, fbase*level(c, ago, turn)*(0.85+0.3*r.Float64())))
			g.add("features_used", fmt.Sprintf("m%02d", m), max(v, 1), g.at(ago))
		}
		// Feature requests: engaged users ask for more.
		lo, hi := []int{2, 0, 0, 0}[ci], []int{5, 3, 2, 2}[ci] // per quarter
		for q := 0; q*90 < start; q++ {
			for k := range between(r, lo, hi) {
				ago := q*90 + between(r, 1, 89)
				if ago > start || (c != cohortThriving && c != cohortSteady && ago < turn) {
					continue
				}
				g.add("feature_requests", fmt.Sprintf("q%d-%d", q, k), 1, g.at(ago))
			}
		}
	}

	// Marketing engagement. Events: the EVENT interactions of the last year (a contact
	// came to a roundtable or conference), and webinars by cohort.
	for i, in := range p.interactions {
		if in.Kind == "EVENT" && in.OccurTime.After(today.AddDate(-1, 0, 0)) {
			g.add("events_attended", fmt.Sprintf("i%02d", i), 1, in.OccurTime)
		}
	}
	g.occasional("events_attended", "webinar", c, turn, [4][4]int{{2, 5, 1, 4}, {1, 4, 0, 3}, {0, 2, 1, 3}, {0, 1, 0, 2}}[ci])
	// Content read rate: the share of each month's newsletters and articles read.
	rbase := []float64{0.6, 0.4, 0.4, 0.25}[ci]
	for m := range 12 {
		ago := m*30 + 2
		v := jitter(rbase * level(c, ago, turn))
		if c == cohortDormant && ago < turn {
			v = 0.02 * r.Float64() // still on the list, hardly opening anything
		}
		g.add("content_read_rate", fmt.Sprintf("m%02d", m), math.Round(min(v, 1)*1000)/1000, g.at(ago))
	}
	// Shares: posts and referrals of our content.
	g.occasional("shares", "s", c, turn, [4][4]int{{2, 4, 0, 3}, {1, 2, 0, 2}, {0, 1, 0, 2}, {0, 1, 0, 1}}[ci])

	// Relationship: the account team's quarterly trust rating (1–5), customers only.
	if p.stage >= dealStage && len(p.deals) > 0 {
		for q := 0; q < 4; q++ {
			ago := q*91 + between(r, 5, 20)
			if ago > start {
				break
			}
			v := []float64{4.7, 4.2, 3.8, 3.2}[ci]
			switch {
			case c == cohortSlipping && ago < turn:
				v = 2.6
			case c == cohortDormant && ago < turn:
				v = 1.8
			}
			v = math.Round(min(5, max(1, v+r.Float64()-0.5)))
			g.add("trust_rating", fmt.Sprintf("q%d", q), v, g.at(ago))
		}
	}
	// Plan usage (share of the plan's limits in use, 0–1), which the retention policy's
	// expansion rule reads: two monthly snapshots for customers in the product. Drawn
	// last, so the signals above stay as they were before it was added.
	if start >= 0 && p.stage >= dealStage {
		ubase := []float64{0.82, 0.6, 0.45, 0.15}[ci]
		for m := range 2 {
			ago := m*30 + 4
			if ago > start {
				break
			}
			v := math.Round(min(1, ubase*(0.85+0.3*r.Float64()))*100) / 100
			g.add("plan_usage", fmt.Sprintf("m%02d", m), v, g.at(ago))
		}
	}
	p.signals = g.out
}
