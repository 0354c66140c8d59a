package predict

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	leadscorev1 "leadscore/proto/leadscore/v1"
)

// randAnswer is a random PredictResponse or PredictBatchResponse with the
// values that trip encoders up: zero and negative int32s and enums (ten-
// byte varints), out-of-range enums, -0.0, NaN and ±Inf, empty strings
// (left out, except as a warning), multi-byte UTF-8, long strings (two-
// byte lengths) and many reasons (two-byte message lengths).
func randAnswer(rng *rand.Rand) proto.Message {
	str := func() string {
		switch rng.IntN(6) {
		case 0:
			return ""
		case 1:
			return "lead-ü€-" + string(rune('a'+rng.IntN(26)))
		case 2:
			b := make([]byte, 100+rng.IntN(300))
			for i := range b {
				b[i] = byte('a' + rng.IntN(26))
			}
			return string(b)
		}
		return "x" + string(rune('a'+rng.IntN(26)))
	}
	i32 := func() int32 {
		switch rng.IntN(5) {
		case 0:
			return 0
		case 1:
			return -1 - rng.Int32N(1000)
		case 2:
			return math.MaxInt32 - rng.Int32N(3)
		}
		return rng.Int32N(300)
	}
	f64 := func() float64 {
		switch rng.IntN(8) {
		case 0:
			return 0
		case 1:
			return math.Copysign(0, -1)
		case 2:
			return math.NaN()
		case 3:
			return math.Inf(1 - 2*rng.IntN(2))
		}
		return rng.NormFloat64()
	}
	pred := func() *leadscorev1.Prediction {
		p := &leadscorev1.Prediction{
			LeadId: str(), Probability: f64(), Score: i32(), Stage: leadscorev1.Stage(i32()),
			FitScore: i32(), EngagementScore: i32(), ModelName: str(), ModelVersion: str(),
			Source: leadscorev1.Source(i32()), FallbackReason: str(), ThresholdsVersion: str(),
		}
		for range rng.IntN(4) * rng.IntN(4) * rng.IntN(4) { // up to 27 reasons: two-byte lengths
			p.Reasons = append(p.Reasons, &leadscorev1.Reason{
				Feature: str(), Value: str(), Contribution: f64(), Group: leadscorev1.FeatureGroup(i32()),
			})
		}
		for range rng.IntN(3) {
			p.Warnings = append(p.Warnings, str())
		}
		return p
	}
	if rng.IntN(2) == 0 {
		r := &leadscorev1.PredictResponse{RequestId: str()}
		if rng.IntN(4) != 0 {
			r.Prediction = pred()
		}
		if rng.IntN(4) == 0 {
			r.Error = &leadscorev1.RequestError{Code: i32(), Message: str()}
		}
		return r
	}
	r := &leadscorev1.PredictBatchResponse{}
	for range rng.IntN(5) * rng.IntN(5) {
		r.Predictions = append(r.Predictions, pred())
	}
	return r
}

// marshalWithCodec is what the server's codec sends for m.
func marshalWithCodec(t testing.TB, m proto.Message) ([]byte, error) {
	t.Helper()
	bs, err := newCodec().Marshal(m)
	if err != nil {
		return nil, err
	}
	defer bs.Free()
	return bs.Materialize(), nil
}

// TestAnswerEncodingMatchesProto is the property test of the hand-written
// encoders: for 3000 random answers (seed 1), the codec sends exactly the
// bytes of proto.Marshal, and the encoders take them (answerSize accepts
// them, so the comparison is not with proto.Marshal itself).
func TestAnswerEncodingMatchesProto(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		m := randAnswer(rng)
		want, err := proto.Marshal(m)
		if err != nil {
			t.Fatalf("case %d: proto.Marshal: %v", i, err)
		}
		if n, ok := answerSize(m); !ok || n != len(want) {
			t.Fatalf("case %d: answerSize = %d, %v; want %d, true", i, n, ok, len(want))
		}
		got, err := marshalWithCodec(t, m)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d: %v\n got %x\nwant %x", i, m, got, want)
		}
	}
}

// TestAnswerEncodingLargeBatch checks the pooled-buffer path: a batch
// answer above gRPC's buffer-pooling threshold (1 KiB), 1000 predictions.
func TestAnswerEncodingLargeBatch(t *testing.T) {
	r := &leadscorev1.PredictBatchResponse{}
	for i := range 1000 {
		r.Predictions = append(r.Predictions, &leadscorev1.Prediction{
			LeadId: "lead-" + string(rune('a'+i%26)), Probability: float64(i) / 1000, Score: int32(i % 101),
			Stage: leadscorev1.Stage_STAGE_MQL, ModelName: "bench", ModelVersion: "20261101T000000Z", Source: leadscorev1.Source_SOURCE_MODEL,
		})
	}
	want, _ := proto.Marshal(r)
	got, err := marshalWithCodec(t, r)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("got %d bytes (err %v), want the %d of proto.Marshal", len(got), err, len(want))
	}
}

// TestAnswerEncodingFallsBack: answers the encoders cannot reproduce go
// to proto.Marshal, which then decides (its bytes, or its error for
// invalid UTF-8).
func TestAnswerEncodingFallsBack(t *testing.T) {
	withUnknown := &leadscorev1.Prediction{LeadId: "a"}
	withUnknown.ProtoReflect().SetUnknown([]byte{0xf8, 0x01, 0x07}) // field 31, varint 7
	for _, c := range []struct {
		name    string
		m       proto.Message
		wantErr bool
	}{
		{"unknown field", &leadscorev1.PredictResponse{Prediction: withUnknown}, false},
		{"nil reason", &leadscorev1.PredictResponse{Prediction: &leadscorev1.Prediction{Reasons: []*leadscorev1.Reason{nil}}}, false},
		{"nil prediction in a batch", &leadscorev1.PredictBatchResponse{Predictions: []*leadscorev1.Prediction{{LeadId: "a"}, nil}}, false},
		{"bad UTF-8 lead id", &leadscorev1.PredictResponse{Prediction: &leadscorev1.Prediction{LeadId: "\xff"}}, true},
		{"bad UTF-8 warning", &leadscorev1.PredictBatchResponse{Predictions: []*leadscorev1.Prediction{{Warnings: []string{"ok", "\xc3"}}}}, true},
		{"bad UTF-8 request id", &leadscorev1.PredictResponse{RequestId: "\xff"}, true},
		// A batch's model strings are checked once per change.
		{"bad UTF-8 model name after a good one", &leadscorev1.PredictBatchResponse{Predictions: []*leadscorev1.Prediction{
			{ModelName: "m", ModelVersion: "v"}, {ModelName: "m\xff", ModelVersion: "v"}}}, true},
		{"bad UTF-8 thresholds version after a good one", &leadscorev1.PredictBatchResponse{Predictions: []*leadscorev1.Prediction{
			{ModelName: "m", ThresholdsVersion: "t"}, {ModelName: "m", ThresholdsVersion: "\xc3"}}}, true},
		{"bad UTF-8 model version, repeated", &leadscorev1.PredictBatchResponse{Predictions: []*leadscorev1.Prediction{
			{ModelName: "m", ModelVersion: "\xff"}, {ModelName: "m", ModelVersion: "\xff"}}}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, ok := answerSize(c.m); ok {
				t.Fatal("answerSize accepted it; want the proto.Marshal fallback")
			}
			want, wantErr := proto.Marshal(c.m)
			got, err := marshalWithCodec(t, c.m)
			if (err != nil) != c.wantErr || (wantErr != nil) != c.wantErr {
				t.Fatalf("codec error %v, proto.Marshal error %v; want errors: %v", err, wantErr, c.wantErr)
			}
			if !c.wantErr && !bytes.Equal(got, want) {
				t.Fatalf("got %x, want %x", got, want)
			}
		})
	}
	var nilResp *leadscorev1.PredictResponse
	if got, err := marshalWithCodec(t, nilResp); err != nil || len(got) != 0 {
		t.Fatalf("a nil PredictResponse: %x, %v; want no bytes", got, err)
	}
}

// FuzzAnswerEncoding: whatever PredictResponse or PredictBatchResponse
// proto.Unmarshal makes of the input, the codec sends proto.Marshal's
// bytes (or its error).
func FuzzAnswerEncoding(f *testing.F) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		b, _ := proto.Marshal(randAnswer(rng))
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Fuzz(func(t *testing.T, b []byte, batch bool) {
		var m proto.Message = &leadscorev1.PredictResponse{}
		if batch {
			m = &leadscorev1.PredictBatchResponse{}
		}
		if proto.Unmarshal(b, m) != nil {
			return
		}
		want, wantErr := proto.Marshal(m)
		got, err := marshalWithCodec(t, m)
		if (err != nil) != (wantErr != nil) || (err == nil && !bytes.Equal(got, want)) {
			t.Fatalf("codec %x (err %v), proto.Marshal %x (err %v)", got, err, want, wantErr)
		}
	})
}
