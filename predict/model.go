// Package predict serves leadscore models over gRPC: a Registry of models
// loaded from a models directory and hot-reloaded, a Server implementing
// leadscorev1.LeadScoringServer with one error boundary, and the rules
// fallback that answers whenever no trained model can.
//
//	models/<name>/<version>/ ──Loader──▶ Model ──Registry (atomic snapshot)──▶ Server ──▶ gRPC
//	                                                 rules.Model (fallback) ──┘
//
// A trained artifact plugs in through the Model interface and a Loader; the
// server never looks inside a model. Every answer says which model answered
// (Prediction.source, model_name, model_version) and, when the rules model
// answered, why (Prediction.fallback_reason).
package predict

import (
	"context"
	"errors"
	"fmt"
	"time"

	"leadscore/model"
	leadscorev1 "leadscore/proto/leadscore/v1"
)

// Model is one served model: a trained artifact (with its segment
// sub-models) or the rules model. Implementations must be safe for
// concurrent use and immutable once loaded; the Registry swaps whole models.
type Model interface {
	// Info describes the model. Name and Version must equal the
	// directory names models/<name>/<version>; Segment ("column=value")
	// makes the Registry route requests with that attribute value to this
	// model. The server treats the result as read-only.
	Info() *leadscorev1.ModelInfo
	// SegmentColumn is the lead attribute the model routes on internally
	// (e.g. "product_line"), or "" when it has only a global scorer.
	SegmentColumn() string
	// Predict scores one lead the server has validated (id, created_at and
	// events are present and well-formed, attribute names unique, at most
	// one value each; attribute types are not checked). It must not keep
	// the lead, or anything it points to, after it returns: the leads the
	// gRPC server decodes (and those of a PredictBatch table) live in
	// memory it reuses for the next request. Strings may be kept.
	// It returns a new Prediction the server may modify, with
	// probability, score, stage, sub-scores, model name and version and,
	// when opt.Explain, at most opt.MaxReasons reasons sorted by
	// |contribution|. Errors:
	//   - *InputError: a bad attribute value (wrong type, …); the request
	//     fails with INVALID_ARGUMENT naming the field.
	//   - ErrSegmentBelowMinimum (possibly wrapped): the lead's segment fell
	//     under the minimum-data gate; the rules model answers.
	//   - context errors: returned to the caller as they are.
	//   - anything else (and a panic): the rules model answers with
	//     fallback_reason "model_error".
	Predict(ctx context.Context, lead *leadscorev1.Lead, opt Options) (*leadscorev1.Prediction, error)
	// PredictChallenger scores the lead with the challenger kept for shadow
	// scoring and returns its probability; false when the model has none or
	// it cannot score this lead. It never changes an answer.
	PredictChallenger(ctx context.Context, lead *leadscorev1.Lead, opt Options) (float64, bool)
}

// A Loader loads the model artifact in one version directory
// (models/<name>/<version>). It must not retain the directory's files
// open, and must return an error (never panic) for a corrupt artifact;
// the Registry recovers a panic anyway and refuses the version.
type Loader func(dir string) (Model, error)

// Options are the per-request scoring options.
type Options struct {
	// Explain asks for reasons, at most MaxReasons of them (MaxReasons > 0).
	Explain    bool
	MaxReasons int
	// AsOf is the scoring time the caller asked for; zero when unset.
	AsOf time.Time
	// Now is the time the server received the request.
	Now time.Time
}

// Cutoff returns the scoring cut-off of a lead created at created for a
// model trained with the given horizon: AsOf when set, else created +
// horizon or Now, whichever is earlier (Now only when set).
func (o Options) Cutoff(created time.Time, horizon time.Duration) time.Time {
	if !o.AsOf.IsZero() {
		return o.AsOf
	}
	c := created.Add(horizon)
	if !o.Now.IsZero() && o.Now.Before(c) {
		return o.Now
	}
	return c
}

// ErrSegmentBelowMinimum is returned by Model.Predict when the lead's
// segment fell under the minimum-data gate in training and the artifact
// says the rules model serves it.
var ErrSegmentBelowMinimum = errors.New("segment below the minimum-data gate")

// Sentinels for InputError.Err.
var (
	// ErrWrongType: an attribute value of the wrong type for its column.
	ErrWrongType = errors.New("wrong type")
	// ErrBadValue: a value the model cannot use (out of range, …).
	ErrBadValue = errors.New("bad value")
)

// An InputError reports a bad value in a request's lead. Field is relative
// to the lead, e.g. `attributes["employees"]`; the server prefixes it with
// "lead." or "leads[3].".
type InputError struct {
	Field string
	Value string // the offending value, formatted for humans
	Err   error  // ErrWrongType, ErrBadValue, …
}

func (e *InputError) Error() string {
	return fmt.Sprintf("%s: value %q: %v", e.Field, e.Value, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// Fallback reasons, as in Prediction.fallback_reason.
const (
	// ReasonRequested: the caller asked for rules (use_rules).
	ReasonRequested = model.FallbackRequested
	// ReasonNoModel: no model fits the request (none routed, no default).
	ReasonNoModel = model.FallbackNoModel
	// ReasonModelUnavailable: the model exists but no version could be loaded.
	ReasonModelUnavailable = model.FallbackUnavailable
	// ReasonSegmentBelowMinimum: the model returned ErrSegmentBelowMinimum.
	ReasonSegmentBelowMinimum = model.FallbackSegmentBelowMin
	// ReasonModelError: the model failed or panicked.
	ReasonModelError = model.FallbackModelError
)

// FallbackReasons lists every fallback reason.
var FallbackReasons = []string{ReasonRequested, ReasonNoModel, ReasonModelUnavailable, ReasonSegmentBelowMinimum, ReasonModelError}

// StageOf maps a probability to a stage through the API's thresholds, with
// the model package's one mapping (model.Thresholds.Stage): below
// disqualify → DISQUALIFIED, below mql → NURTURE, below sql → MQL, else SQL.
func StageOf(p float64, t *leadscorev1.Thresholds) leadscorev1.Stage {
	return model.Thresholds{Disqualify: t.GetDisqualify(), MQL: t.GetMql(), SQL: t.GetSql()}.Stage(p)
}
