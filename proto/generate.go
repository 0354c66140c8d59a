// Package proto holds the leadscore gRPC contract (leadscore/v1) and the
// command that regenerates its Go code.
//
// The generators are pinned: protoc-gen-go and protoc-gen-go-grpc through
// the tool directives of go.mod, protoc by the Debian package version that
// the Makefile checks (the generated headers record all three).
package proto

//go:generate sh -c "go build -o ../bin/protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go && go build -o ../bin/protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc"
//go:generate protoc -I . -I /usr/include --plugin=protoc-gen-go=../bin/protoc-gen-go --plugin=protoc-gen-go-grpc=../bin/protoc-gen-go-grpc --go_out=. --go_opt=module=leadscore/proto --go-grpc_out=. --go-grpc_opt=module=leadscore/proto leadscore/v1/scoring.proto
