package gbdt_test

import (
	"context"
	"testing"

	"leadscore/train/gbdt"
	"leadscore/train/gbdt/gbdttest"
)

// BenchmarkTrain200kx40 is a quicker proxy for BenchmarkTrain1Mx40: 20
// rounds on gbdttest.SyntheticMatrix(200_000, 1).
func BenchmarkTrain200kx40(b *testing.B) {
	feats, ds := gbdttest.SyntheticMatrix(200_000, 1)
	for _, c := range []struct {
		name string
		cfg  gbdt.Config
	}{
		{"depth6", gbdt.Config{Rounds: 20, MaxDepth: 6, Seed: 1}},
		{"leaves31", gbdt.Config{Rounds: 20, MaxLeaves: 31, Seed: 1}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := gbdt.Train(context.Background(), feats, ds, nil, c.cfg, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
