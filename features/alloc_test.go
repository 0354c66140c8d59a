//go:build !race

package features

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestTransformLeadAllocs: a clean lead with 50 events costs no
// allocation, and an empty Warnings stays empty.
// (Not under -race: the race detector makes sync.Pool drop items.)
func TestTransformLeadAllocs(t *testing.T) {
	tr, _, _ := fittedFixture(t, 300, 1)
	l := benchLead(tr, rand.New(rand.NewPCG(1, 2)))
	dst := make([]float64, tr.Width())
	var w Warnings
	allocs := testing.AllocsPerRun(200, func() {
		if err := tr.TransformLead(l, time.Time{}, dst, &w); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 || w.Len() != 0 {
		t.Errorf("%v allocs per lead, %d warnings; want 0 and 0", allocs, w.Len())
	}
}
