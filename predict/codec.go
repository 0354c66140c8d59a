package predict

import (
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"

	leadscorev1 "leadscore/proto/leadscore/v1"
)

// codec is the server's gRPC codec: gRPC's proto codec, except that a
// PredictRequest and a PredictBatchRequest are decoded with
// leadscorev1.UnmarshalPredictRequest and UnmarshalPredictBatchRequest
// (the same messages, with a few allocations per request or table column
// instead of several per attribute or string) and the pooled requests of
// handlers.go with the Slabs variants (one allocation per request: the
// copy of its strings' bytes), and a
// PredictResponse and a PredictBatchResponse are encoded by appendAnswer
// (the same bytes without proto's reflection). Its name is "proto", so
// clients see no difference.
type codec struct {
	proto encoding.CodecV2
}

func newCodec() codec { return codec{proto: encoding.GetCodecV2("proto")} }

func (c codec) Name() string { return "proto" }

func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	n, ok := answerSize(v)
	if !ok {
		return c.proto.Marshal(v)
	}
	// As gRPC's proto codec: a small message in a buffer of its own, a
	// large one in a pooled buffer.
	if mem.IsBelowBufferPoolingThreshold(n) {
		return mem.BufferSlice{mem.SliceBuffer(appendAnswer(make([]byte, 0, n), v))}, nil
	}
	pool := mem.DefaultBufferPool()
	buf := pool.Get(n)
	*buf = appendAnswer((*buf)[:0], v)
	return mem.BufferSlice{mem.NewBuffer(buf, pool)}, nil
}

func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	var decode func([]byte) error
	switch req := v.(type) {
	case *leadscorev1.PredictRequest:
		decode = func(b []byte) error { return leadscorev1.UnmarshalPredictRequest(b, req) }
	case *leadscorev1.PredictBatchRequest:
		decode = func(b []byte) error { return leadscorev1.UnmarshalPredictBatchRequest(b, req) }
	case *pooledRequest:
		decode = func(b []byte) error {
			return leadscorev1.UnmarshalPredictRequestSlabs(b, &req.PredictRequest, &req.slabs)
		}
	case *pooledBatch:
		decode = func(b []byte) error {
			return leadscorev1.UnmarshalPredictBatchRequestSlabs(b, &req.PredictBatchRequest, &req.slabs)
		}
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
