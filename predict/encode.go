package predict

import (
	"math"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	leadscorev1 "leadscore/proto/leadscore/v1"
)

// Hand-written encoders of the server's answers, byte for byte what
// proto.Marshal writes (fields in number order, proto3 zero values left
// out, a negative int32 or enum as a ten-byte varint, -0.0 written): the
// reflection-driven marshal costs about as much per prediction as the rest
// of answering it, once the model has scored. A message they cannot
// reproduce exactly (unknown fields, a nil element of a repeated message,
// a string that is not valid UTF-8, which proto.Marshal refuses) makes
// answerSize report false, and the caller uses proto.Marshal. The
// property test and fuzz target in encode_internal_test.go compare them
// with proto.Marshal.

// answerSize is the encoded size of a PredictResponse or a
// PredictBatchResponse, or false for any other message or one to leave
// to proto.Marshal.
func answerSize(v any) (int, bool) {
	switch m := v.(type) {
	case *leadscorev1.PredictResponse:
		return sizePredictResponse(m)
	case *leadscorev1.PredictBatchResponse:
		return sizePredictBatchResponse(m)
	}
	return 0, false
}

// appendAnswer appends the encoding of v, which answerSize accepted, to b.
func appendAnswer(b []byte, v any) []byte {
	switch m := v.(type) {
	case *leadscorev1.PredictResponse:
		return appendPredictResponse(b, m)
	case *leadscorev1.PredictBatchResponse:
		return appendPredictBatchResponse(b, m)
	}
	panic("predict: appendAnswer of a message answerSize refuses")
}

// Tags of the fields (all numbered below 16: one byte each).
const (
	tagBytes   = protowire.BytesType
	tagVarint  = protowire.VarintType
	tagFixed64 = protowire.Fixed64Type
)

func tag(num protowire.Number, typ protowire.Type) byte { return byte(uint64(num)<<3 | uint64(typ)) }

// known reports whether m has no unknown fields.
func known(m proto.Message) bool { return len(m.ProtoReflect().GetUnknown()) == 0 }

func sizeStr(s string) int {
	if s == "" {
		return 0
	}
	return 1 + protowire.SizeBytes(len(s))
}

func sizeInt32(v int32) int {
	if v == 0 {
		return 0
	}
	return 1 + protowire.SizeVarint(uint64(int64(v)))
}

func sizeDouble(v float64) int {
	if v == 0 && !math.Signbit(v) {
		return 0
	}
	return 1 + 8
}

func appendStr(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, tag(num, tagBytes))
	b = protowire.AppendVarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendInt32(b []byte, num protowire.Number, v int32) []byte {
	if v == 0 {
		return b
	}
	return protowire.AppendVarint(append(b, tag(num, tagVarint)), uint64(int64(v)))
}

func appendDouble(b []byte, num protowire.Number, v float64) []byte {
	if v == 0 && !math.Signbit(v) {
		return b
	}
	return protowire.AppendFixed64(append(b, tag(num, tagFixed64)), math.Float64bits(v))
}

func appendMsgHeader(b []byte, num protowire.Number, n int) []byte {
	return protowire.AppendVarint(append(b, tag(num, tagBytes)), uint64(n))
}

// validStrings reports whether every string is valid UTF-8.
func validStrings(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

func sizePredictResponse(m *leadscorev1.PredictResponse) (int, bool) {
	if m == nil {
		return 0, true // proto.Marshal writes nothing for a nil message
	}
	if !known(m) || !validStrings(m.RequestId) {
		return 0, false
	}
	n := sizeStr(m.RequestId)
	if p := m.Prediction; p != nil {
		k, ok := sizePrediction(p)
		if !ok {
			return 0, false
		}
		n += 1 + protowire.SizeBytes(k)
	}
	if e := m.Error; e != nil {
		if !known(e) || !validStrings(e.Message) {
			return 0, false
		}
		n += 1 + protowire.SizeBytes(sizeInt32(e.Code)+sizeStr(e.Message))
	}
	return n, true
}

// appendPredictResponse appends m, which sizePredictResponse accepted.
func appendPredictResponse(b []byte, m *leadscorev1.PredictResponse) []byte {
	if m == nil {
		return b
	}
	if p := m.Prediction; p != nil {
		b = appendPrediction(appendMsgHeader(b, 1, lenPrediction(p)), p)
	}
	b = appendStr(b, 2, m.RequestId)
	if e := m.Error; e != nil {
		b = appendMsgHeader(b, 3, sizeInt32(e.Code)+sizeStr(e.Message))
		b = appendInt32(b, 1, e.Code)
		b = appendStr(b, 2, e.Message)
	}
	return b
}

func sizePredictBatchResponse(m *leadscorev1.PredictBatchResponse) (int, bool) {
	if m == nil {
		return 0, true
	}
	if !known(m) {
		return 0, false
	}
	n := 0
	var prev *leadscorev1.Prediction // accepted before p
	for _, p := range m.Predictions {
		if p == nil {
			return 0, false
		}
		k, ok := sizePredictionAfter(p, prev)
		if !ok {
			return 0, false
		}
		n += 1 + protowire.SizeBytes(k)
		prev = p
	}
	return n, true
}

// appendPredictBatchResponse appends m, which sizePredictBatchResponse
// accepted.
func appendPredictBatchResponse(b []byte, m *leadscorev1.PredictBatchResponse) []byte {
	for _, p := range m.GetPredictions() {
		b = appendPrediction(appendMsgHeader(b, 1, lenPrediction(p)), p)
	}
	return b
}

func sizePrediction(p *leadscorev1.Prediction) (int, bool) { return sizePredictionAfter(p, nil) }

// sizePredictionAfter is sizePrediction, knowing that prev (when not nil)
// was accepted: a model name, version or thresholds version equal to
// prev's is valid UTF-8 without a check (in a batch they are the same
// strings, which compare at once).
func sizePredictionAfter(p, prev *leadscorev1.Prediction) (int, bool) {
	if !known(p) || !validStrings(p.LeadId, p.FallbackReason) {
		return 0, false
	}
	if prev == nil || p.ModelName != prev.ModelName || p.ModelVersion != prev.ModelVersion || p.ThresholdsVersion != prev.ThresholdsVersion {
		if !validStrings(p.ModelName, p.ModelVersion, p.ThresholdsVersion) {
			return 0, false
		}
	}
	for _, r := range p.Reasons {
		if r == nil || !known(r) || !validStrings(r.Feature, r.Value) {
			return 0, false
		}
	}
	if !validStrings(p.Warnings...) {
		return 0, false
	}
	return lenPrediction(p), true
}

// lenPrediction is the encoded size of p, which sizePrediction accepted.
func lenPrediction(p *leadscorev1.Prediction) int {
	n := sizeStr(p.LeadId) + sizeDouble(p.Probability) + sizeInt32(p.Score) + sizeInt32(int32(p.Stage)) +
		sizeInt32(p.FitScore) + sizeInt32(p.EngagementScore) + sizeStr(p.ModelName) + sizeStr(p.ModelVersion) +
		sizeInt32(int32(p.Source)) + sizeStr(p.FallbackReason) + sizeStr(p.ThresholdsVersion)
	for _, r := range p.Reasons {
		n += 1 + protowire.SizeBytes(sizeReason(r))
	}
	for _, w := range p.Warnings {
		n += 1 + protowire.SizeBytes(len(w))
	}
	return n
}

func appendPrediction(b []byte, p *leadscorev1.Prediction) []byte {
	b = appendStr(b, 1, p.LeadId)
	b = appendDouble(b, 2, p.Probability)
	b = appendInt32(b, 3, p.Score)
	b = appendInt32(b, 4, int32(p.Stage))
	b = appendInt32(b, 5, p.FitScore)
	b = appendInt32(b, 6, p.EngagementScore)
	for _, r := range p.Reasons {
		b = appendMsgHeader(b, 7, sizeReason(r))
		b = appendStr(b, 1, r.Feature)
		b = appendStr(b, 2, r.Value)
		b = appendDouble(b, 3, r.Contribution)
		b = appendInt32(b, 4, int32(r.Group))
	}
	b = appendStr(b, 8, p.ModelName)
	b = appendStr(b, 9, p.ModelVersion)
	b = appendInt32(b, 10, int32(p.Source))
	b = appendStr(b, 11, p.FallbackReason)
	for _, w := range p.Warnings { // every element, "" included
		b = append(b, tag(12, tagBytes))
		b = protowire.AppendVarint(b, uint64(len(w)))
		b = append(b, w...)
	}
	return appendStr(b, 13, p.ThresholdsVersion)
}

func sizeReason(r *leadscorev1.Reason) int {
	return sizeStr(r.Feature) + sizeStr(r.Value) + sizeDouble(r.Contribution) + sizeInt32(int32(r.Group))
}
