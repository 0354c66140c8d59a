package predict

import (
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"

	leadscorev1 "leadscore/proto/leadscore/v1"
)

// codec is the server's gRPC codec: gRPC's proto codec, except that a
// PredictRequest and a PredictBatchRequest are decoded with
// leadscorev1.UnmarshalPredictRequest and UnmarshalPredictBatchRequest
// (the same messages, with a few allocations per lead or table column
// instead of several per attribute or string). Its name is "proto", so clients see no difference.
type codec struct {
	proto encoding.CodecV2
}

func newCodec() codec { return codec{proto: encoding.GetCodecV2("proto")} }

func (c codec) Name() string { return "proto" }

func (c codec) Marshal(v any) (mem.BufferSlice, error) { return c.proto.Marshal(v) }

func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	var decode func([]byte) error
	switch req := v.(type) {
	case *leadscorev1.PredictRequest:
		decode = func(b []byte) error { return leadscorev1.UnmarshalPredictRequest(b, req) }
	case *leadscorev1.PredictBatchRequest:
		decode = func(b []byte) error { return leadscorev1.UnmarshalPredictBatchRequest(b, req) }
	default:
		return c.proto.Unmarshal(data, v)
	}
	if len(data) == 1 {
		return decode(data[0].ReadOnlyData())
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	return decode(buf.ReadOnlyData())
}
