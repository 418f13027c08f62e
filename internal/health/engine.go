package health

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Derived sources: measures Furrow computes from its own records. Event sources give
// one event per record (value 1) and take every aggregation; current counts take LAST.
const (
	SourceInteractions      = "furrow.interactions"
	SourceWonDeals          = "furrow.won_deals"
	SourceRepurchases       = "furrow.repurchases"
	SourceDetractors        = "furrow.survey_detractors" // NPS answers 0–6 and complaints, not excluded
	SourceContacts          = "furrow.contacts"
	SourceContactLevels     = "furrow.contact_levels"
	SourceExecutiveContacts = "furrow.executive_contacts"
)

// DerivedEventSources and CountSources list the derived sources by kind.
var (
	DerivedEventSources = []string{SourceInteractions, SourceWonDeals, SourceRepurchases, SourceDetractors}
	CountSources        = []string{SourceContacts, SourceContactLevels, SourceExecutiveContacts}
)

func isCountSource(s string) bool { return slices.Contains(CountSources, s) }

// EventQuery asks the store for one event source's aggregates per account: whether it
// has any event up to the moment scored, the latest one, and counts and sums over
// windows.
type EventQuery struct {
	Source string      // a signal measure key or a derived event source
	Froms  []time.Time // window starts (exclusive), each with a count
	Sums   []bool      // per window: whether its sum is needed too (SUM, AVERAGE)
	Last   bool        // also the latest event's value
	// Latest asks for the latest event's time (LAST and DAYS_SINCE measures read it);
	// without it a store may leave EventAgg.Latest zero.
	Latest bool
	// LastSince, when not zero, is the earliest window start of the LAST measures: a
	// latest event before it counts as no data, so its value need not be read.
	LastSince time.Time
}

// EventAgg is one account's aggregates for one EventQuery. Sums are exact integers
// (micro-units), so they do not depend on the order rows are read in.
type EventAgg struct {
	Any       bool
	Latest    time.Time // when Latest was asked
	LastValue int64     // micros; when Last was asked
	Counts    []int64
	Sums      []int64
}

// Counts are an account's current derived counts.
type Counts struct {
	Contacts   int64
	Levels     int64 // seniority levels with at least one contact
	Executives int64
}

// Plan is the store queries scoring with a set of definitions needs.
type Plan struct {
	Queries []EventQuery
	index   map[string]int
	// slots says, per definition and measure, where its inputs are: every account
	// scored reads them, and working them out (windows are dates) cost more than
	// the arithmetic.
	slots map[*Definition][]slot
	// Evaluate hands out results' contributions and raw values from shared blocks
	// rather than allocating each account's (a batch scores thousands). A Plan is
	// therefore for one goroutine at a time.
	contribs []Contribution
	raws     []float64
}

// evalBlock is how many accounts' contributions a block holds: under 32 KiB for a
// scorecard of a dozen measures. Blocks for a whole batch measured slower, their time
// going to the first stores into them.
const evalBlock = 32

// slot is where a measure's inputs are in Inputs: its query, its window there (-1:
// none) and the window's start.
type slot struct {
	qi, wi int
	from   time.Time
}

// NewPlan plans the queries of defs at asOf.
func NewPlan(asOf time.Time, defs ...*Definition) *Plan {
	p := &Plan{index: map[string]int{}, slots: map[*Definition][]slot{}}
	for _, d := range defs {
		for _, m := range d.Measures {
			if isCountSource(m.Source) {
				continue
			}
			i, ok := p.index[m.Source]
			if !ok {
				i = len(p.Queries)
				p.index[m.Source] = i
				p.Queries = append(p.Queries, EventQuery{Source: m.Source})
			}
			q := &p.Queries[i]
			q.Latest = q.Latest || m.Aggregation == AggLast || m.Aggregation == AggDaysSince
			if m.Aggregation == AggLast {
				from, windowed := windowStart(m, asOf)
				switch {
				case !q.Last:
					q.LastSince = from // zero when not windowed: the whole history
				case !windowed || from.Before(q.LastSince):
					q.LastSince = from
				}
				if !windowed {
					q.LastSince = time.Time{}
				}
				q.Last = true
				continue // LAST compares the latest time with its window: no sums needed
			}
			from, ok := windowStart(m, asOf)
			if !ok {
				continue
			}
			wi := slices.IndexFunc(q.Froms, from.Equal)
			if wi < 0 {
				wi = len(q.Froms)
				q.Froms, q.Sums = append(q.Froms, from), append(q.Sums, false)
			}
			// Sums cost the store a column per window; only SUM and AVERAGE read them.
			q.Sums[wi] = q.Sums[wi] || m.Aggregation == AggSum || m.Aggregation == AggAverage
		}
	}
	p.locate(asOf, defs)
	return p
}

// locate fills p.slots for defs.
func (p *Plan) locate(asOf time.Time, defs []*Definition) {
	for _, d := range defs {
		ss := make([]slot, len(d.Measures))
		for i, m := range d.Measures {
			ss[i] = slot{qi: -1, wi: -1}
			if isCountSource(m.Source) {
				continue
			}
			qi, planned := p.index[m.Source]
			if !planned {
				ss[i].qi = len(p.Queries) // not a plan's definition: no data
				continue
			}
			ss[i].qi = qi
			ss[i].from, _ = windowStart(m, asOf)
			ss[i].wi = slices.IndexFunc(p.Queries[qi].Froms, ss[i].from.Equal)
		}
		p.slots[d] = ss
	}
}

// windowStart returns the start of m's window at asOf, if its aggregation has one.
func windowStart(m Measure, asOf time.Time) (time.Time, bool) {
	if m.Aggregation == AggDaysSince || m.WindowDays <= 0 {
		return time.Time{}, false
	}
	return asOf.AddDate(0, 0, -m.WindowDays), true
}

// Inputs are one account's aggregates, in the order of a Plan's queries.
type Inputs struct {
	Events []EventAgg // nil entries mean no event at all
	Counts Counts
}

// raw returns m's value from in, or false when there is no data; at is where m's
// inputs are.
func (p *Plan) raw(m *Measure, at slot, in *Inputs, asOf time.Time) (float64, bool) {
	if at.qi < 0 {
		switch m.Source {
		case SourceContacts:
			return float64(in.Counts.Contacts), true
		case SourceContactLevels:
			return float64(in.Counts.Levels), true
		default:
			return float64(in.Counts.Executives), true
		}
	}
	if at.qi >= len(in.Events) || !in.Events[at.qi].Any {
		return 0, false // the account never had such an event: no data
	}
	agg := &in.Events[at.qi]
	switch m.Aggregation {
	case AggDaysSince:
		return math.Floor(asOf.Sub(agg.Latest).Hours() / 24), true
	case AggSum:
		return float64(agg.Sums[at.wi]) / 1e6, true
	case AggCount:
		return float64(agg.Counts[at.wi]), true
	case AggAverage:
		if agg.Counts[at.wi] == 0 {
			return 0, false
		}
		return float64(agg.Sums[at.wi]) / float64(agg.Counts[at.wi]) / 1e6, true
	case AggLast:
		if !agg.Latest.After(at.from) {
			return 0, false
		}
		return float64(agg.LastValue) / 1e6, true
	}
	return 0, false
}

// normalize maps v to 0–100 by m's normalisation.
func normalize(m Measure, v float64) float64 {
	var p float64
	switch {
	case m.Linear != nil:
		p = (v - m.Linear.Low) / (m.Linear.High - m.Linear.Low) * 100
		p = min(max(p, 0), 100)
	default:
		for _, b := range m.Bands {
			if v >= b.Min {
				p = b.Points
			}
		}
	}
	if m.Inverted {
		p = 100 - p
	}
	return p
}

// Evaluate scores in with d (one of the plan's definitions) at asOf. ok is false when
// no measure counted (every one lacked data and was skipped): there is then no score.
func (p *Plan) Evaluate(d *Definition, in *Inputs, asOf time.Time) (r Result, ok bool) {
	slots, known := p.slots[d]
	if !known {
		p.locate(asOf, []*Definition{d})
		slots = p.slots[d]
	}
	n := len(d.Measures)
	if cap(p.contribs)-len(p.contribs) < n {
		p.contribs, p.raws = make([]Contribution, 0, n*evalBlock), make([]float64, 0, n*evalBlock)
	}
	at := len(p.contribs)
	p.contribs, p.raws = p.contribs[:at+n], p.raws[:at+n]
	r.Contributions = p.contribs[at : at+n : at+n]
	raws := p.raws[at : at+n : at+n]
	var total float64
	for i := range d.Measures {
		m := &d.Measures[i]
		c := Contribution{Measure: m.Key, Group: m.Group, Weight: m.Weight}
		if v, has := p.raw(m, slots[i], in, asOf); has {
			raws[i] = v
			c.Raw = &raws[i]
			c.Normalized = normalize(*m, v)
		} else {
			c.Missing = true
			switch m.Missing {
			case MissingZero:
				c.Normalized = 0
			case MissingFixed:
				c.Normalized = m.MissingPoints
			default:
				c.Skipped = true
			}
		}
		if !c.Skipped {
			total += m.Weight
		}
		r.Contributions[i] = c
	}
	if total == 0 {
		p.contribs, p.raws = p.contribs[:at], p.raws[:at] // no score holds them
		return Result{}, false
	}
	var sum float64
	for i := range r.Contributions {
		c := &r.Contributions[i]
		if !c.Skipped {
			c.Points = c.Normalized * c.Weight / total
			sum += c.Points
		}
	}
	r.Score = round2(sum)
	r.Grade = d.Bands.Grade(r.Score)
	return r, true
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// trend is the direction of change30d when known, else of change.
func trend(change, change30d *float64) string {
	d := change30d
	if d == nil {
		d = change
	}
	switch {
	case d == nil:
		return ""
	case *d >= 1:
		return TrendImproving
	case *d <= -1:
		return TrendDeclining
	}
	return TrendStable
}

// Digest identifies r as computed by a scorecard version: equal digests mean the same
// score, grade and contributions, bit for bit, so a recompute that finds the same
// digest writes no history.
func (r *Result) Digest(card uuid.UUID, version int) string {
	var buf [1024]byte // every score pays for this: on the stack while it fits
	b := append(buf[:0], card[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(version))
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(r.Score))
	b = append(b, r.Grade...)
	for _, c := range r.Contributions {
		b = append(b, 0)
		b = append(b, c.Measure...)
		b = append(b, 0)
		b = append(b, c.Group...)
		flags := byte(0)
		if c.Raw != nil {
			flags |= 1
			b = binary.BigEndian.AppendUint64(b, math.Float64bits(*c.Raw))
		}
		if c.Missing {
			flags |= 2
		}
		if c.Skipped {
			flags |= 4
		}
		b = append(b, flags)
		for _, f := range []float64{c.Normalized, c.Weight, c.Points} {
			b = binary.BigEndian.AppendUint64(b, math.Float64bits(f))
		}
	}
	sum := sha256.Sum256(b)
	var text [32]byte
	hex.Encode(text[:], sum[:16])
	return string(text[:])
}

// Choose returns the scorecard for an account: the most specific segment scorecard
// that matches it (tiers and industries beat one of them), then the oldest; else the
// default. cards must be ordered oldest first.
func Choose(cards []*Scorecard, t Target) *Scorecard {
	var best, def *Scorecard
	bestRank := 0
	for _, c := range cards {
		if c.IsDefault {
			def = c
			continue
		}
		if len(c.Tiers) == 0 && len(c.Industries) == 0 {
			continue // a scorecard without a segment scores only when made the default
		}
		if len(c.Tiers) > 0 && !slices.Contains(c.Tiers, t.Tier) {
			continue
		}
		if len(c.Industries) > 0 && !slices.Contains(c.Industries, t.Industry) {
			continue
		}
		rank := 0
		if len(c.Tiers) > 0 {
			rank++
		}
		if len(c.Industries) > 0 {
			rank++
		}
		if rank > bestRank {
			best, bestRank = c, rank
		}
	}
	if best != nil {
		return best
	}
	return def
}
