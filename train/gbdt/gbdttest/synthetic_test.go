package gbdttest

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

func TestSyntheticMatrix(t *testing.T) {
	feats, ds := SyntheticMatrix(50_000, 1)
	if len(feats) != NumFeatures || ds.Cols != NumFeatures || len(ds.X) != 50_000*NumFeatures {
		t.Fatalf("shape %d features, %d cols, %d values", len(feats), ds.Cols, len(ds.X))
	}
	pos := 0.0
	for _, y := range ds.Y {
		pos += y
	}
	if rate := pos / 50_000; rate < 0.165 || rate > 0.185 {
		t.Errorf("positive rate %.4f, want about 0.175", rate)
	}
	nan := make([]int, NumFeatures)
	for r := range ds.Rows {
		for j := range NumFeatures {
			v := ds.X[r*NumFeatures+j]
			if math.IsNaN(v) {
				nan[j]++
			} else if feats[j].Categorical && (v < 0 || v >= float64(feats[j].Levels) || v != math.Trunc(v)) {
				t.Fatalf("row %d feature %d: bad code %v", r, j, v)
			}
		}
	}
	if f := float64(nan[0]) / 50_000; f < 0.04 || f > 0.06 {
		t.Errorf("feature 0 missing rate %.3f, want 0.05", f)
	}
	if nan[1] != 0 {
		t.Errorf("feature 1 has %d NaN, want none", nan[1])
	}
	_, again := SyntheticMatrix(50_000, 1)
	for i := range ds.X {
		if math.Float64bits(ds.X[i]) != math.Float64bits(again.X[i]) {
			t.Fatalf("value %d differs between two runs", i)
		}
	}
}

func TestWriteBinary(t *testing.T) {
	feats, ds := SyntheticMatrix(3, 2)
	var buf bytes.Buffer
	if err := WriteBinary(&buf, feats, ds); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if want := 8 + 16 + NumFeatures + 8*(3*NumFeatures+3); len(b) != want {
		t.Fatalf("%d bytes, want %d", len(b), want)
	}
	if string(b[:8]) != Magic || binary.LittleEndian.Uint64(b[8:]) != 3 || binary.LittleEndian.Uint64(b[16:]) != NumFeatures {
		t.Fatalf("bad header % x", b[:24])
	}
	if b[24+NumNumeric] != 1 || b[24] != 0 {
		t.Error("categorical flags wrong")
	}
	x0 := math.Float64frombits(binary.LittleEndian.Uint64(b[24+NumFeatures:]))
	if math.Float64bits(x0) != math.Float64bits(ds.X[0]) {
		t.Errorf("first value %v, want %v", x0, ds.X[0])
	}
}
