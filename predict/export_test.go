package predict

import (
	"context"

	"google.golang.org/grpc/mem"
)

// ServerSideCall runs one Predict (batch false) or PredictBatch call on
// the encoded request raw as the gRPC server does, without the network
// and the interceptors: the server's codec decodes it into a pooled
// request, the handler answers, the codec encodes the answer. For
// BenchmarkServerSide.
func ServerSideCall(ctx context.Context, s *Server, batch bool, raw []byte) error {
	c := newCodec()
	dec := func(v any) error { return c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(raw)}, v) }
	h := s.handlePredict
	if batch {
		h = s.handlePredictBatch
	}
	resp, err := h(s, ctx, dec, nil)
	if err != nil {
		return err
	}
	out, err := c.Marshal(resp)
	if err != nil {
		return err
	}
	out.Free()
	return nil
}
