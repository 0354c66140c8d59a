package synth

import (
	"math"
	"math/rand/v2"
)

// chunkSize is the number of leads generated from one random stream. It is
// fixed, so the output does not depend on the number of workers.
const chunkSize = 4096

// streamSalt separates this generator's streams from other users of a seed.
const streamSalt = 0x1ead5c0e5eed

// account is a company; its leads share these attributes.
type account struct {
	industry, band, country, tier uint8
	employees                     float64
	competitor                    bool
}

// leadRec is one generated lead.
type leadRec struct {
	account    int32 // index within the chunk until assembly, then global
	p          profile
	tier       uint8
	outcome    uint8
	created    int64
	closed     int64 // -1 when open
	employees  float64
	amount     float64 // NaN unless won
	salesCalls float64
	pTrue      float64
}

// event is one generated event, before it is appended to the chunk columns.
type event struct {
	ts  int64
	typ uint8
	val float64 // NaN for no value
}

// chunk holds the leads [first, first+len(leads)) and their events, sorted
// by lead and then by time.
type chunk struct {
	first    int
	accounts int
	leads    []leadRec
	evLead   []int32 // global lead index
	evTS     []int64
	evType   []uint8
	evVal    []float64

	preTS   []int64 // scratch for splitPre
	preType []uint8
}

// world is the resolved configuration shared by all chunks.
type world struct {
	cfg    Config
	bounds []int64   // quarter boundaries, oldest first, len Quarters+1
	qCum   []float64 // cumulative quarter weights, normalised to end at 1
	end    int64
}

func newWorld(cfg Config) *world {
	w := &world{cfg: cfg, bounds: quarterStarts(cfg.End, cfg.Quarters), end: cfg.End.UnixMicro()}
	w.qCum = make([]float64, cfg.Quarters)
	total := 0.0
	for q := range w.qCum {
		total += 1 + volumeGrowth*float64(q)
		w.qCum[q] = total
	}
	for q := range w.qCum {
		w.qCum[q] /= total
	}
	return w
}

// splitmix64 scrambles a chunk index into a PCG stream selector.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// genChunk generates chunk c. It depends only on the world and c.
func (w *world) genChunk(c int) *chunk {
	rng := rand.New(rand.NewPCG(w.cfg.Seed, splitmix64(uint64(c))^streamSalt))
	first := c * chunkSize
	n := min(chunkSize, w.cfg.Leads-first)
	ch := &chunk{first: first, leads: make([]leadRec, 0, n)}
	est := n * 22
	ch.evLead = make([]int32, 0, est)
	ch.evTS = make([]int64, 0, est)
	ch.evType = make([]uint8, 0, est)
	ch.evVal = make([]float64, 0, est)
	buf := make([]event, 0, 128)
	for len(ch.leads) < n {
		a := w.newAccount(rng)
		k := 1 + poisson(rng, 2.0)
		for j := 0; j < k && len(ch.leads) < n; j++ {
			buf = w.simLead(rng, ch, &a, int32(ch.accounts), buf[:0])
		}
		ch.accounts++
	}
	return ch
}

var (
	industryShare = []float64{0.22, 0.14, 0.12, 0.12, 0.12, 0.08, 0.10, 0.10}
	bandShare     = []float64{0.12, 0.22, 0.25, 0.20, 0.12, 0.09}
	bandLo        = []float64{1, 11, 51, 201, 1001, 5001}
	bandHi        = []float64{10, 50, 200, 1000, 5000, 100000}
	countryShare  = []float64{0.38, 0.10, 0.09, 0.06, 0.04, 0.06, 0.04, 0.05, 0.10, 0.08}
	// roleShare[product] over the ten ordinary roles.
	roleShare = [2][]float64{
		prodAnalytics: {0.20, 0.14, 0.14, 0.08, 0.08, 0.07, 0.05, 0.08, 0.08, 0.08},
		prodPlatform:  {0.06, 0.05, 0.05, 0.04, 0.22, 0.22, 0.14, 0.08, 0.07, 0.07},
	}
	seniorityShare = []float64{0.03, 0.40, 0.30, 0.15, 0.08, 0.04}
	casualShare    = []float64{0.35, 0.15, 0.22, 0.15, 0.13} // email_open, email_click, page_view, blog_view, newsletter
	casualShareNeg = []float64{0.20, 0.10, 0.25, 0.35, 0.10} // students and job seekers read the blog
)

func (w *world) newAccount(rng *rand.Rand) account {
	var a account
	a.competitor = rng.Float64() < shareCompetitor
	a.industry = pick(rng, industryShare)
	if a.competitor {
		a.industry = 0 // software, like us
	}
	a.band = pick(rng, bandShare)
	lo, hi := math.Log(bandLo[a.band]), math.Log(bandHi[a.band]+1)
	a.employees = math.Floor(math.Exp(lo + rng.Float64()*(hi-lo)))
	a.country = pick(rng, countryShare)
	// The ICP tier is marketing's noisy summary of company fit; the ground
	// truth does not use it.
	s := (industryFit[0][a.industry]+industryFit[1][a.industry]+bandFit[0][a.band]+bandFit[1][a.band])/2 + 0.25*rng.NormFloat64()
	switch {
	case s > 0.45:
		a.tier = 0
	case s > 0.15:
		a.tier = 1
	case s > -0.25:
		a.tier = 2
	default:
		a.tier = 3
	}
	return a
}

// simLead generates one lead of account a and appends it and its events to
// ch. buf is scratch space for the lead's events; the grown buffer is
// returned for reuse.
func (w *world) simLead(rng *rand.Rand, ch *chunk, a *account, acc int32, buf []event) []event {
	var r leadRec
	r.account = acc
	r.employees = a.employees
	r.tier = a.tier
	p := &r.p
	p.industry, p.band, p.country, p.competitor = a.industry, a.band, a.country, a.competitor

	// Created, spread over the quarters with growing volume.
	u := rng.Float64()
	q := 0
	for q < len(w.qCum)-1 && u >= w.qCum[q] {
		q++
	}
	p.quarter = q
	span := w.bounds[q+1] - w.bounds[q]
	r.created = (w.bounds[q] + rng.Int64N(span)) / 1_000_000 * 1_000_000 // whole seconds
	cutoff := r.created + horizonUS

	// Attributes.
	if rng.Float64() >= shareAnalytics {
		p.product = prodPlatform
	}
	if rng.Float64() >= shareInbound {
		p.source = srcOutbound
	}
	studentShare := shareStudent
	if a.industry == indEducation {
		studentShare = 0.25
	}
	switch u := rng.Float64(); {
	case a.competitor:
		p.role = pick(rng, roleShare[p.product])
	case u < studentShare:
		p.role = roleStudent
	case u < studentShare+shareJobSeeker:
		p.role = roleJobSeeker
	default:
		p.role = pick(rng, roleShare[p.product])
	}
	switch p.role {
	case roleStudent:
		p.seniority = senIntern
	case roleJobSeeker:
		p.seniority = senIndividual
	case roleExecutive:
		p.seniority = senVP + uint8(rng.IntN(2))
	default:
		p.seniority = pick(rng, seniorityShare)
	}
	negative := p.role == roleStudent || p.role == roleJobSeeker
	switch u := rng.Float64(); {
	case u < shareInvalid:
		p.email = emailInvalid
	case a.competitor:
		p.email = emailBusiness
	case negative && u < shareInvalid+0.70:
		p.email = emailFree
	case !negative && u < shareInvalid+shareFreeMail:
		p.email = emailFree
	default:
		p.email = emailBusiness
	}
	p.budget = math.NaN()
	if rng.Float64() >= shareBudgetNull {
		p.budget = math.Round(r.employees*(200+600*rng.Float64())*math.Exp(0.5*rng.NormFloat64())/1000) * 1000
		if p.budget < 1000 {
			p.budget = 1000
		}
	}

	// Latent engagement, fade and buying interest drive the events; the
	// ground truth sees only the events themselves.
	engage := math.Exp(0.6 * rng.NormFloat64())
	if p.source == srcInbound {
		engage *= 1.25
	} else {
		engage *= 0.7
	}
	content := 1.0
	burstP := 0.0
	f := fitScore(p)
	switch {
	case negative:
		engage *= 1.5
		content = 4
		burstP = 0.08
	case a.competitor:
		engage *= 1.3
		content = 2
		burstP = 0.6
	default:
		interest := 0.5*f + 1.0*rng.NormFloat64()
		if p.source == srcInbound {
			interest += 0.4
		}
		burstP = 0.9 * sigmoid(2*(interest-0.6))
	}
	if p.email == emailInvalid {
		engage *= 0.3 // mail bounces; only web activity remains
	}
	fade := float64(day) * (4 + 36*rng.Float64()) // mean gap of casual activity from creation

	// Phase 1: activity that does not depend on the outcome. It can run
	// past the cut-off.
	shares := casualShare
	if negative {
		shares = casualShareNeg
	}
	for n := poisson(rng, 12*engage); n > 0; n-- {
		t := r.created + int64(rng.ExpFloat64()*fade)
		buf = appendEvent(rng, buf, t, pick(rng, shares))
	}
	if rng.Float64() < burstP {
		t0 := r.created + rng.Int64N(horizonUS)
		burst := func(typ uint8, n int) {
			for ; n > 0; n-- {
				buf = appendEvent(rng, buf, t0+int64(rng.ExpFloat64()*1.5*float64(day)), typ)
			}
		}
		burst(evPricingPage, 1+poisson(rng, 1))
		burst(evCaseStudy, poisson(rng, 0.7))
		burst(evEmailClick, poisson(rng, 1))
		burst(evPageView, 1+poisson(rng, 2))
		if rng.Float64() < 0.45 && !a.competitor {
			burst(evDemoRequest, 1)
		}
	}
	if rng.Float64() < 0.10*content {
		buf = appendEvent(rng, buf, r.created+rng.Int64N(45*day), evWebinar)
	}
	if rng.Float64() < 0.08*content {
		buf = appendEvent(rng, buf, r.created+rng.Int64N(45*day), evCaseStudy)
	}
	unsubP := 0.03
	if p.source == srcOutbound {
		unsubP = 0.08
	}
	if rng.Float64() < unsubP {
		buf = appendEvent(rng, buf, r.created+int64(rng.ExpFloat64()*15*float64(day)), evUnsubscribe)
	}
	buf = tidy(buf)

	// The ground truth at the cut-off.
	ch.preTS, ch.preType = splitPre(buf, cutoff, ch.preTS, ch.preType)
	intent := intentScore(ch.preTS, ch.preType, cutoff, p.quarter, w.cfg.Quarters)
	r.pTrue = sigmoid(trueLogit(p, w.cfg.Quarters, intent))
	won := rng.Float64() < r.pTrue
	var cycle float64
	if won {
		cycle = 45 * math.Exp(0.45*rng.NormFloat64())
	} else {
		cycle = 25 * math.Exp(0.6*rng.NormFloat64())
	}
	r.closed = cutoff + int64(clamp(cycle, 1, maxCycleDays)*float64(day))/1_000_000*1_000_000

	// Phase 2: activity after the cut-off, which depends on the outcome.
	if won {
		start := max(cutoff, r.closed-14*day)
		closing := func(typ uint8, n int) {
			for ; n > 0; n-- {
				buf = appendEvent(rng, buf, start+rng.Int64N(r.closed-start), typ)
			}
		}
		if rng.Float64() < 0.6 {
			closing(evDemoRequest, 1)
		}
		closing(evPricingPage, 1+poisson(rng, 1.5))
		closing(evCaseStudy, poisson(rng, 0.8))
		closing(evEmailClick, 1+poisson(rng, 1.5))
		if rng.Float64() < 0.3 {
			closing(evWebinar, 1)
		}
		// Onboarding after the close.
		onboard := func(typ uint8, n int) {
			for ; n > 0; n-- {
				buf = appendEvent(rng, buf, r.closed+1_000_000+rng.Int64N(60*day), typ)
			}
		}
		onboard(evWebinar, 1+poisson(rng, 1))
		onboard(evEmailOpen, poisson(rng, 3))
		onboard(evEmailClick, poisson(rng, 2))
		onboard(evPageView, 1+poisson(rng, 3))
	} else {
		// Silence after a loss: nothing at or after the close.
		k := 0
		for _, e := range buf {
			if e.ts < r.closed {
				buf[k] = e
				k++
			}
		}
		buf = buf[:k]
		nurture := func(typ uint8, n int) {
			for ; n > 0; n-- {
				buf = appendEvent(rng, buf, cutoff+rng.Int64N(r.closed-cutoff), typ)
			}
		}
		nurture(evEmailOpen, poisson(rng, 1))
		if rng.Float64() < 0.10 {
			nurture(evUnsubscribe, 1)
		}
	}
	buf = tidy(buf)

	// The export ends at End.
	switch {
	case r.closed >= w.end:
		r.outcome = outOpen
		r.closed = -1
		r.amount = math.NaN()
		r.salesCalls = float64(poisson(rng, 1.2))
	case won:
		r.outcome = outWon
		base, scale, expo := 12000.0, 200.0, 0.30
		if p.product == prodPlatform {
			base, scale, expo = 30000, 1000, 0.35
		}
		r.amount = math.Round(base*math.Pow(r.employees/scale, expo)*math.Exp(0.5*rng.NormFloat64())/100) * 100
		r.salesCalls = float64(2 + poisson(rng, 4))
	default:
		r.outcome = outLost
		r.amount = math.NaN()
		r.salesCalls = float64(poisson(rng, 0.7))
	}

	lead := int32(ch.first + len(ch.leads))
	for _, e := range buf {
		if e.ts >= w.end {
			break
		}
		ch.evLead = append(ch.evLead, lead)
		ch.evTS = append(ch.evTS, e.ts)
		ch.evType = append(ch.evType, e.typ)
		ch.evVal = append(ch.evVal, e.val)
	}
	ch.leads = append(ch.leads, r)
	return buf
}

// appendEvent appends an event of type typ at t (truncated to whole
// seconds) with its value: pages for page views and pricing pages, minutes
// for webinars, none otherwise.
func appendEvent(rng *rand.Rand, buf []event, t int64, typ uint8) []event {
	v := math.NaN()
	switch typ {
	case evPageView:
		v = float64(1 + poisson(rng, 2))
	case evPricingPage:
		v = float64(1 + poisson(rng, 0.5))
	case evWebinar:
		v = float64(5 + rng.IntN(56))
	}
	return append(buf, event{ts: t / 1_000_000 * 1_000_000, typ: typ, val: v})
}

// tidy sorts buf by time (stable, so ties keep generation order) and drops
// email events after the first unsubscribe.
func tidy(buf []event) []event {
	for i := 1; i < len(buf); i++ {
		e := buf[i]
		j := i
		for j > 0 && buf[j-1].ts > e.ts {
			buf[j] = buf[j-1]
			j--
		}
		buf[j] = e
	}
	k := 0
	unsub := false
	for _, e := range buf {
		switch e.typ {
		case evUnsubscribe:
			if unsub {
				continue // one unsubscribe is enough
			}
			unsub = true
		case evEmailOpen, evEmailClick, evNewsletter:
			if unsub {
				continue
			}
		}
		buf[k] = e
		k++
	}
	return buf[:k]
}

// splitPre copies the times and types of the events before cutoff in buf
// (sorted by time) into ts and types, reusing their storage.
func splitPre(buf []event, cutoff int64, ts []int64, types []uint8) ([]int64, []uint8) {
	ts, types = ts[:0], types[:0]
	for _, e := range buf {
		if e.ts >= cutoff {
			break
		}
		ts = append(ts, e.ts)
		types = append(types, e.typ)
	}
	return ts, types
}

// pick draws an index with probability proportional to shares (which sum
// to about 1; the last index absorbs rounding).
func pick(rng *rand.Rand, shares []float64) uint8 {
	u := rng.Float64()
	for i, s := range shares {
		if u < s {
			return uint8(i)
		}
		u -= s
	}
	return uint8(len(shares) - 1)
}

// poisson draws from a Poisson distribution with mean lambda (< 50) by
// Knuth's multiplication method.
func poisson(rng *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	l := math.Exp(-lambda)
	k := 0
	for p := rng.Float64(); p > l; p *= rng.Float64() {
		k++
	}
	return k
}
