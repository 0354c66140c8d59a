// Package features turns a lead, and the events known before its scoring
// cut-off, into the []float64 that both training and serving use.
//
//	spec ──Fit(training rows)──▶ *Transformer ──TransformTable / TransformLead──▶ []float64
//
// A Transformer is saved inside the model artifact (MarshalJSON, with a
// format version; UnmarshalJSON validates it); predict never builds a
// vector any other way. TransformTable (training, offline scoring) and
// TransformLead (one gRPC request) read their input through two small row
// accessors and then call the same per-row function, so a lead gets the
// same vector bit for bit either way (a property test proves it).
// TransformLead, on every request, finds attribute names, categorical
// levels and event types in small hash tables built with the Transformer
// (faster than maps; tests hold them equal to the maps the table path
// uses), and expects the attributes in the order of Features(): each is
// first compared with the name after the previous one's.
// TransformTable joins events by lead id in O(n + m) and splits large
// tables over GOMAXPROCS goroutines; the result does not depend on the
// split.
//
// # The spec
//
// A Spec (YAML, see ParseSpec; InferSpec and WriteCommentedSpec write a
// starting one) names the id, time and label columns, the cut-off, and the
// role, kind and group of each column; optionally an events table and the
// event types that become features.
//
// # Fitting
//
// Fit uses only the rows the caller passes, which must be the training
// rows, and of those only the closed ones (won or lost; open rows are left
// out). It learns, per numeric or timestamp column, clip bounds at the
// spec's quantiles (default 0.001 and 0.999, linear interpolation); per
// categorical column, the levels seen at least min_count times (at most
// max_levels, most frequent first, ties by name), the others pooled into
// "other", plus "unseen" for levels first met at serving; and, for the
// linear view, every feature's mean and standard deviation. It also runs a
// leakage guard (FitReport.Leakage).
//
// # The tree view (Features, TransformTable, TransformLead)
//
// One float64 per Feature, missing values as NaN:
//
//   - numeric: the value clipped to the training bounds, then log1p if the
//     spec asks; NaN or ±Inf, and a negative value in a log1p or
//     nonnegative column, are missing (with a warning at serving);
//   - timestamp: days before the cut-off (negative if after it), clipped;
//   - categorical: the level code 0..K−1 (Feature.Levels[code]); "other" for
//     levels pooled in training, "unseen" for new ones;
//   - boolean: 0 or 1;
//   - per event type: count_window, the number of events in
//     [cut-off − window, cut-off); decayed_count, Σ 2^(−age/half_life) =
//     Σ exp(−ln2·age/half_life) over all events before the cut-off, age
//     measured at the cut-off; days_since_last, the age in days of the last
//     event before the cut-off, NaN if there is none;
//   - days_since_any_event (group negative): the same over events of every
//     type, listed or not; NaN if the lead has no event before the cut-off.
//
// The cut-off of a lead is created_at + horizon, or the explicit cut-off
// column where it is set; at serving it is the earlier of that and asOf.
// Events at or after the cut-off never count. Events before created_at DO
// count: engagement before the lead was created is prior engagement, known
// at scoring time. Each event's decay weight is rounded to a multiple of
// 2^-40 and the weights are summed exactly, so no result depends on the
// order of the events in the input.
//
// # The linear view (ToLinear)
//
// Standardised values with missing imputed to the mean (0), a 0/1 missing
// column where the spec asks or the training rows had missing values,
// log1p before standardising event counts, and one-hot categoricals
// (missing: all zeros). Every value is finite.
//
// # Bad input at serving (TransformLead)
//
// Errors, naming the field: a nil lead; a missing or invalid created_at
// (when the spec has events or timestamp features); an attribute of the
// wrong type, e.g. a string for a numeric column
// (attributes["employees"]: want a number, got string "abc"); an invalid
// timestamp; an event that is nil, or has no type (events[3].type:
// missing), or no or an invalid ts. Warnings (the value is treated as
// missing or ignored): NaN and ±Inf numbers, negative values where not
// allowed, event values that are NaN, ±Inf or negative, unknown attribute
// names, and events of unknown types (these count only towards
// days_since_any_event). Adding no warning allocates nothing; nothing in
// this package panics on input data.
package features
