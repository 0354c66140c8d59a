// Package synth generates a synthetic B2B lead history with a known, hidden
// ground truth, for testing feature building, training, calibration,
// out-of-time validation and leakage guards.
//
//	Config{Leads, Quarters, Seed, End} ──Generate──▶ *History{Leads, Events, Truth} ──WriteDir──▶ leads.parquet, events.parquet, truth.parquet
//
// The output depends only on Leads, Quarters, Seed and End: leads are
// generated in fixed chunks of 4096, each from its own PCG stream seeded
// with (Seed, chunk index), so Workers changes the speed and nothing else.
//
// # The world
//
// Accounts have an industry (software, financial_services, healthcare,
// retail, manufacturing, media, education, government), an employee band
// and a head count inside it, a country, and an ICP tier A–D: marketing's
// noisy summary of company fit, which the ground truth itself does not use.
// Two per cent of accounts are competitors (is_competitor). Each account
// has 1 + Poisson(2) leads.
//
// A lead has a product line (analytics 55 %, platform 45 %, with different
// buyers: analysts and marketing for analytics, engineers and IT for
// platform), a source (inbound 60 %, outbound 40 %), a role and seniority,
// an email type (business, free_mail, invalid), and a budget (30 % null).
// Negative profiles: students (4 %, 25 % at education accounts) and job
// seekers (3 %) read the blog, attend webinars and mostly use free mail;
// competitors look at pricing and case studies but never ask for a demo;
// invalid emails (4 %) bounce, so such leads show much less activity. created_at is spread over Quarters
// calendar quarters ending at End, each quarter 10 % (of the first) busier
// than the one before.
//
// Events: casual engagement (email_open, email_click, page_view, blog_view,
// newsletter) whose rate fades from created_at with a lead-specific time
// constant (quiet leads fade within days); a burst of intent (pricing_page,
// case_study, demo_request, clicks, page views) within the first 30 days
// for leads with buying interest (a hidden mix of fit, source and noise);
// webinars and case studies (four times as many for students and job
// seekers, twice as many for competitors); unsubscribe, after which no email
// events follow. page_view and pricing_page carry the pages viewed in
// value, webinar the minutes attended; other values are null.
//
// # Point in time and the ground truth
//
// Each lead is scored at its cut-off, created_at + Horizon (30 days). The
// true probability p_true depends only on the lead's attributes and on its
// events strictly before the cut-off, with decay measured at the cut-off:
//
//	logit p_true = b0 + drift·s + outbound + platform + 0.5·F + 2.6·G(F)·I + N
//
//	b0 = −3.25; drift = −0.60; outbound = −1.10 if source is outbound;
//	platform = −0.45 if product_line is platform;
//	s ∈ [0, 1]: quarter of created_at, 0 for the oldest, 1 for the newest;
//	F  = industry×product + band×product + role×product + seniority +
//	     country + email (free_mail −0.4) + 0.25·clamp(log10(budget)−4.5, ±1.5)
//	     (budget term 0 when null; the tables are industryFit, bandFit,
//	     roleFit, seniorityFit, countryFit, emailFit in world.go);
//	G(F) = sigmoid(5·(F − 0.4)): intent counts only for leads that fit;
//	I  = log1p(S) if S > 0 else S, with
//	     S = Σ over events before the cut-off of w(type)·2^(−age/14 days),
//	     age = cut-off − ts; w: demo_request 2, pricing_page 1, case_study
//	     0.6, email_click 0.3, page_view 0.1, email_open 0.05, blog_view and
//	     newsletter 0, unsubscribe −1.5, webinar 0.9 in the oldest quarter
//	     falling linearly to 0.1 in the newest (the effect that changes);
//	N  = −2 for a student, −2 for a job seeker, −3 for a competitor,
//	     −2.5 for an invalid email (summed).
//
// So: fit and intent interact (engagement from a poor fit is worth almost
// nothing, which a linear model cannot express), older activity decays,
// the base rate drifts down by 0.6 in log-odds across the history, and
// webinars matter less in the newest quarters, so out-of-time validation
// and recalibration matter.
//
// The outcome is drawn once from p_true. The close follows the cut-off by
// a log-normal sales cycle (won: median 45 days; lost: median 25 days;
// capped at maxCycleDays = 150 days), so closed_at is always after every event before the
// cut-off. Leads whose close would fall at or after End are "open" (null
// closed_at and amount): mostly leads of the newest quarter, a few of the
// one before. Won leads have an amount that grows with head count
// (platform deals are larger). p_true of a lead whose cut-off is after End
// also counts the events between End and the cut-off, which the export
// does not contain.
//
// # Leaks, on purpose
//
// Activity after the cut-off depends on the outcome: won leads show a
// closing burst (demo_request, pricing_page, case_study, email_click) in
// the 14 days before closed_at and onboarding (webinars, emails, page
// views) for 60 days after it, so events after closed_at exist for won
// leads; lost leads fall silent at closed_at after a little nurture email.
// A feature that ignores the cut-off therefore looks far better than it
// is. The leads column named by LeakyColumn (sales_calls) is filled in up
// to the close and nearly separates won from lost: a leakage guard should
// flag it.
//
// # Tables
//
// leads: lead_id ("L0000001"…, unique, in order), account_id, created_at,
// outcome (won, lost, open), closed_at, amount, product_line, source,
// industry, employee_band, employees, country, icp_tier, role, seniority,
// email_type, is_competitor, budget, sales_calls.
//
// events: lead_id, ts, type, value; sorted by lead_id, then ts; every ts
// is before End.
//
// truth: lead_id, p_true, quarter (of created_at, e.g. "2026Q3").
//
// On the default history the AUC of p_true on closed leads is about 0.89,
// of the attribute part alone (I = 0) about 0.80, of I alone about 0.80,
// and of the best additive mix of the two about 0.87.
//
// The tuned rates among closed leads (defaults, 50,000 leads) are the
// Target constants: overall about 9.5 %, inbound 13 % against outbound
// 4.5 %, analytics 11 % against platform 8 %, and about 10 % of all leads
// open; about 18 events per lead.
package synth
