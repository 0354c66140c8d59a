package data

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

func TestLZ4BlockSize(t *testing.T) {
	for _, tc := range []struct {
		name  string
		block []byte
		size  int64
		ok    bool
	}{
		{"literals only", []byte{0x50, 'h', 'e', 'l', 'l', 'o'}, 5, true},
		// "abcd", then a 4-byte match at offset 4, then literal "x": 9 bytes.
		{"match", []byte{0x40, 'a', 'b', 'c', 'd', 4, 0, 0x10, 'x'}, 9, true},
		// Match length 15+255+1 extra bytes: 4 + (15+256) + 4 = 279.
		{"long match", []byte{0x4f, 'a', 'b', 'c', 'd', 4, 0, 255, 1, 0x10, 'x'}, 4 + 15 + 256 + 4 + 1, true},
		{"offset 0", []byte{0x40, 'a', 'b', 'c', 'd', 0, 0, 0x10, 'x'}, 0, false},
		{"offset past output", []byte{0x40, 'a', 'b', 'c', 'd', 9, 0, 0x10, 'x'}, 0, false},
		{"short literals", []byte{0x50, 'h', 'i'}, 0, false},
		{"truncated length", []byte{0xf0, 255}, 0, false},
		{"empty", nil, 0, false},
	} {
		size, ok := lz4BlockSize(tc.block)
		if size != tc.size || ok != tc.ok {
			t.Errorf("%s: got %d, %v; want %d, %v", tc.name, size, ok, tc.size, tc.ok)
		}
	}
}

// TestReadRejectsLyingZstdFrame patches the frame content size of the first
// zstd frame in a file to 1 TB: the zstd decoder would allocate that much,
// so the reader must refuse the file first.
func TestReadRejectsLyingZstdFrame(t *testing.T) {
	f := NewFloatColumn("x", make([]float64, 1000))
	for i := range f.Floats {
		f.Floats[i] = float64(i)
	}
	tab, err := NewTable(f)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteParquetTo(&buf, tab, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	i := bytes.Index(b, []byte{0x28, 0xb5, 0x2f, 0xfd})
	if i < 0 {
		t.Fatal("no zstd frame in the file")
	}
	// Rewrite the frame header descriptor to an 8-byte content size with a
	// window descriptor, and no dictionary: magic, FHD, WD, FCS(8).
	b[i+4] = 0xc0
	b[i+5] = 0x50
	binary.LittleEndian.PutUint64(b[i+6:], 1<<40)
	_, err = ReadParquetFrom(context.Background(), bytes.NewReader(b), int64(len(b)), "lying.parquet", nil)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "declares 1099511627776 bytes") {
		t.Fatalf("err = %v", err)
	}
}
