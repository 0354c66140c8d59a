package synth

import (
	"math"
	"time"
)

// Vocabularies. The index of a value is its code inside the generator; the
// tables carry the strings. Order matters only for determinism.
var (
	productNames  = []string{"analytics", "platform"}
	sourceNames   = []string{"inbound", "outbound"}
	outcomeNames  = []string{"won", "lost", "open"}
	industryNames = []string{"software", "financial_services", "healthcare", "retail", "manufacturing", "media", "education", "government"}
	bandNames     = []string{"1-10", "11-50", "51-200", "201-1000", "1001-5000", "5000+"}
	countryNames  = []string{"US", "GB", "DE", "FR", "NL", "CA", "AU", "JP", "IN", "BR"}
	tierNames     = []string{"A", "B", "C", "D"}
	roleNames     = []string{
		"data_analyst", "analytics_manager", "marketing_manager", "finance_manager", // analytics buyers
		"data_engineer", "software_engineer", "it_manager", // platform buyers
		"executive", "consultant", "sales_rep", // everyone else
		"student", "job_seeker", // negative profiles
	}
	seniorityNames = []string{"intern", "individual", "manager", "director", "vp", "c_level"}
	emailNames     = []string{"business", "free_mail", "invalid"}
	eventNames     = []string{
		"email_open", "email_click", "page_view", "blog_view", "newsletter",
		"pricing_page", "case_study", "webinar", "demo_request", "unsubscribe",
	}
)

// Codes of the values the generator and the formula refer to by name.
const (
	prodAnalytics = 0
	prodPlatform  = 1

	srcInbound  = 0
	srcOutbound = 1

	outWon  = 0
	outLost = 1
	outOpen = 2

	indEducation = 6

	roleExecutive = 7
	roleStudent   = 10
	roleJobSeeker = 11

	senIntern     = 0
	senIndividual = 1
	senVP         = 4
	senCLevel     = 5

	emailBusiness = 0
	emailFree     = 1
	emailInvalid  = 2
)

// Event type codes, in eventNames order.
const (
	evEmailOpen = iota
	evEmailClick
	evPageView
	evBlogView
	evNewsletter
	evPricingPage
	evCaseStudy
	evWebinar
	evDemoRequest
	evUnsubscribe
	numEventTypes
)

// Horizon is the scoring cut-off after created_at: the ground truth sees
// only what happened strictly before created_at + Horizon.
const Horizon = 30 * 24 * time.Hour

// HalfLife is the half-life of the decay applied to events in the intent
// score, measured at the cut-off.
const HalfLife = 14 * 24 * time.Hour

// horizonUS and halfLifeUS are Horizon and HalfLife in microseconds, the
// unit of data.Column.Times.
const (
	horizonUS  = int64(Horizon / time.Microsecond)
	halfLifeUS = int64(HalfLife / time.Microsecond)
)

// maxCycleDays caps the sales cycle from the cut-off to the close, so that
// no lead older than the two newest quarters is still open.
const maxCycleDays = 150

// Time units in microseconds, the unit of data.Column.Times.
const (
	hour = int64(3_600_000_000)
	day  = 24 * hour
)

// Targets the generator is tuned to, checked by the tests on 50,000 leads
// with the tolerances stated there. Win rates are among closed leads.
const (
	TargetWinRate          = 0.095 // overall
	TargetWinRateInbound   = 0.13
	TargetWinRateOutbound  = 0.045
	TargetWinRateAnalytics = 0.11
	TargetWinRatePlatform  = 0.08
	TargetOpenShare        = 0.105 // share of all leads still open at End (default 8 quarters)
)

// Shares of the population. The negative profiles are drawn independently
// of each other, so a student may also have an invalid email.
const (
	shareInbound    = 0.60
	shareAnalytics  = 0.55
	shareStudent    = 0.04
	shareJobSeeker  = 0.03
	shareCompetitor = 0.02
	shareInvalid    = 0.04
	shareFreeMail   = 0.18 // among the rest
	shareBudgetNull = 0.30
	volumeGrowth    = 0.10 // each quarter has 10 % more leads than the first, cumulatively linear
)

// Ground-truth coefficients; see the package documentation for the formula.
const (
	baseLogit        = -3.25 // intercept for an analytics inbound lead, oldest quarter
	driftPerHistory  = -0.60 // change of the intercept from the oldest to the newest quarter
	outboundEffect   = -1.10
	platformEffect   = -0.45
	fitWeight        = 0.50
	intentWeight     = 2.60
	gateCentre       = 0.40 // intent counts fully only when fit exceeds this
	gateSlope        = 5.0
	penaltyStudent   = -2.0
	penaltyJobSeeker = -2.0
	penaltyComp      = -3.0
	penaltyInvalid   = -2.5
	webinarOldest    = 0.90 // webinar weight in the oldest quarter ...
	webinarNewest    = 0.10 // ... falling linearly to this in the newest
)

// eventWeight is the intent weight of one event at the cut-off (before
// decay). The webinar weight depends on the quarter; see webinarWeight.
var eventWeight = [numEventTypes]float64{
	evEmailOpen:   0.05,
	evEmailClick:  0.30,
	evPageView:    0.10,
	evBlogView:    0,
	evNewsletter:  0,
	evPricingPage: 1.00,
	evCaseStudy:   0.60,
	evWebinar:     math.NaN(), // per quarter
	evDemoRequest: 2.00,
	evUnsubscribe: -1.50,
}

// industryFit[product][industry].
var industryFit = [2][8]float64{
	prodAnalytics: {0.30, 0.35, 0.10, 0.40, 0.00, 0.30, -0.30, -0.40},
	prodPlatform:  {0.50, 0.30, 0.15, -0.10, 0.20, 0.00, -0.30, -0.20},
}

// bandFit[product][band]: analytics sells to the mid-market, platform to
// large companies.
var bandFit = [2][6]float64{
	prodAnalytics: {-0.60, -0.10, 0.30, 0.40, 0.20, 0.00},
	prodPlatform:  {-0.90, -0.50, -0.10, 0.20, 0.50, 0.60},
}

// roleFit[product][role]: each product line has its own buyers.
var roleFit = [2][12]float64{
	prodAnalytics: {0.50, 0.60, 0.40, 0.30, -0.10, -0.30, -0.20, 0.30, -0.20, -0.40, 0, 0},
	prodPlatform:  {-0.20, -0.10, -0.40, -0.30, 0.60, 0.50, 0.50, 0.30, -0.20, -0.40, 0, 0},
}

var seniorityFit = [6]float64{-0.50, -0.20, 0.10, 0.35, 0.40, 0.30}

var countryFit = [10]float64{0.10, 0.10, 0.10, 0.00, 0.10, 0.10, 0.10, -0.10, -0.20, -0.20}

var emailFit = [3]float64{0, -0.40, 0}

// profile is everything about a lead that the ground truth may look at,
// apart from its events: the observable lead attributes.
type profile struct {
	product, source, industry, band, country uint8
	role, seniority, email                   uint8
	competitor                               bool
	budget                                   float64 // NaN when unknown
	quarter                                  int     // 0 = oldest quarter of the history
}

// fitScore is the attribute part of the ground truth (F in the package doc).
func fitScore(p *profile) float64 {
	f := industryFit[p.product][p.industry] + bandFit[p.product][p.band] +
		roleFit[p.product][p.role] + seniorityFit[p.seniority] +
		countryFit[p.country] + emailFit[p.email]
	if !math.IsNaN(p.budget) {
		f += 0.25 * clamp(math.Log10(p.budget)-4.5, -1.5, 1.5)
	}
	return f
}

// penalty is the negative-profile part of the ground truth (N in the
// package doc).
func penalty(p *profile) float64 {
	n := 0.0
	if p.role == roleStudent {
		n += penaltyStudent
	}
	if p.role == roleJobSeeker {
		n += penaltyJobSeeker
	}
	if p.competitor {
		n += penaltyComp
	}
	if p.email == emailInvalid {
		n += penaltyInvalid
	}
	return n
}

// quarterFrac maps a quarter index to [0, 1]: 0 for the oldest quarter, 1
// for the newest (0 when there is only one).
func quarterFrac(quarter, quarters int) float64 {
	if quarters <= 1 {
		return 0
	}
	return float64(quarter) / float64(quarters-1)
}

// webinarWeight is the intent weight of a webinar attended by a lead created
// in the given quarter.
func webinarWeight(quarter, quarters int) float64 {
	return webinarOldest + (webinarNewest-webinarOldest)*quarterFrac(quarter, quarters)
}

// intentScore is the event part of the ground truth (I in the package doc):
// the decayed, weighted sum of the events strictly before cutoff, passed
// through log1p when positive. Events at or after cutoff are ignored.
func intentScore(ts []int64, types []uint8, cutoff int64, quarter, quarters int) float64 {
	s := 0.0
	ww := webinarWeight(quarter, quarters)
	for i, t := range ts {
		if t >= cutoff {
			continue
		}
		w := eventWeight[types[i]]
		if types[i] == evWebinar {
			w = ww
		}
		if w == 0 {
			continue
		}
		s += w * math.Exp(-math.Ln2*float64(cutoff-t)/float64(halfLifeUS))
	}
	if s > 0 {
		return math.Log1p(s)
	}
	return s
}

// gate is the share of the intent score that counts for a lead of fit f.
func gate(f float64) float64 { return sigmoid(gateSlope * (f - gateCentre)) }

// trueLogit is the ground-truth log-odds of winning, given the attributes
// and the intent score at the cut-off.
func trueLogit(p *profile, quarters int, intent float64) float64 {
	f := fitScore(p)
	l := baseLogit + driftPerHistory*quarterFrac(p.quarter, quarters)
	if p.source == srcOutbound {
		l += outboundEffect
	}
	if p.product == prodPlatform {
		l += platformEffect
	}
	return l + fitWeight*f + intentWeight*gate(f)*intent + penalty(p)
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }
