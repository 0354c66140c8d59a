package predict

import (
	"context"
	"slices"

	"google.golang.org/grpc"

	leadscorev1 "leadscore/proto/leadscore/v1"
)

// The unary scoring methods are registered with handlers of their own
// instead of the generated ones: the same calls through the same
// interceptors, but each request is decoded into a pooled request whose
// leads (or LeadTable columns) are carved from pooled slabs
// (leadscorev1.DecodeSlabs), so that a call allocates nothing per
// attribute or column. Under load that is most of the collector's work:
// the server's live heap is small, so every allocated byte brings the
// next collection closer. The request is reset and put back when the
// interceptor chain returns: the answer never points into it (its
// strings are copies the slabs do not hold), the models keep no lead
// (Model.Predict), and no interceptor of ours keeps the request.

// pooledRequest and pooledBatch are what the handlers decode into; the
// codec recognises them. The request is embedded, so that they are the
// proto.Message it is for whatever else sees them (gRPC hands the decoded
// value to stats handlers, which an Extra option may install).
type pooledRequest struct {
	leadscorev1.PredictRequest
	slabs leadscorev1.DecodeSlabs
}

type pooledBatch struct {
	leadscorev1.PredictBatchRequest
	slabs leadscorev1.DecodeSlabs
}

var (
	predictInfo = grpc.UnaryServerInfo{FullMethod: leadscorev1.LeadScoring_Predict_FullMethodName}
	batchInfo   = grpc.UnaryServerInfo{FullMethod: leadscorev1.LeadScoring_PredictBatch_FullMethodName}
)

// serviceDesc is leadscorev1.LeadScoring_ServiceDesc with the Predict and
// PredictBatch handlers replaced.
func (s *Server) serviceDesc() *grpc.ServiceDesc {
	desc := leadscorev1.LeadScoring_ServiceDesc
	desc.Methods = slices.Clone(desc.Methods)
	for i, m := range desc.Methods {
		switch m.MethodName {
		case "Predict":
			desc.Methods[i].Handler = s.handlePredict
		case "PredictBatch":
			desc.Methods[i].Handler = s.handlePredictBatch
		}
	}
	return &desc
}

func (s *Server) handlePredict(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
	in := s.requests.Get().(*pooledRequest)
	defer func() {
		in.Reset()
		in.slabs.Reset()
		s.requests.Put(in)
	}()
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return s.Predict(ctx, &in.PredictRequest)
	}
	info := predictInfo
	info.Server = srv
	return interceptor(ctx, &in.PredictRequest, &info, s.predictHandler)
}

func (s *Server) handlePredictBatch(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
	in := s.batches.Get().(*pooledBatch)
	defer func() {
		in.Reset()
		in.slabs.Reset()
		s.batches.Put(in)
	}()
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return s.PredictBatch(ctx, &in.PredictBatchRequest)
	}
	info := batchInfo
	info.Server = srv
	return interceptor(ctx, &in.PredictBatchRequest, &info, s.predictBatchHandler)
}
