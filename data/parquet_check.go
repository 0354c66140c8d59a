package data

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// parquet-go sizes its buffers from lengths stored in the file, so a
// damaged footer or page header can make it allocate gigabytes before it
// notices anything is wrong. These checks run first, on the few bytes that
// hold those lengths, and refuse implausible files.

// maxInflate bounds how much larger than its compressed size a column
// chunk may claim to be, beyond maxSmallChunk. Real files stay far below;
// constant columns reach a few thousand only in small chunks.
const (
	maxInflate    = 1024
	maxSmallChunk = 64 << 20
	// maxRowsPerByte bounds the rows a file may claim per byte of file
	// beyond minTrustedRows. An all-null column written by parquet-go costs
	// about one byte per thousand rows.
	maxRowsPerByte = 4096
	minTrustedRows = 1 << 20
)

// checkFooter verifies the trailing magic and footer length.
func checkFooter(r io.ReaderAt, size int64) error {
	if size < 12 {
		return fmt.Errorf("file of %d bytes is too short for parquet", size)
	}
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return fmt.Errorf("reading footer: %w", err)
	}
	if string(tail[4:]) != "PAR1" {
		return fmt.Errorf("no PAR1 magic at the end (encrypted or not parquet): %q", tail[4:])
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > size-12 {
		return fmt.Errorf("footer length %d exceeds the file size %d", n, size)
	}
	return nil
}

// checkChunks walks the page headers of the given leaf columns in every row
// group and checks that the sizes they claim fit the file.
func checkChunks(pf *parquet.File, r io.ReaderAt, size int64, columns []int) error {
	md := pf.Metadata()
	if md.NumRows > max(minTrustedRows, size*maxRowsPerByte) {
		return fmt.Errorf("footer claims %d rows in %d bytes", md.NumRows, size)
	}
	for gi := range md.RowGroups {
		rg := &md.RowGroups[gi]
		for _, ci := range columns {
			if ci >= len(rg.Columns) {
				return fmt.Errorf("row group %d has %d columns, want column %d", gi, len(rg.Columns), ci)
			}
			if err := checkChunk(&rg.Columns[ci].MetaData, r, size); err != nil {
				return fmt.Errorf("row group %d, column %d: %w", gi, ci, err)
			}
		}
	}
	return nil
}

func checkChunk(m *format.ColumnMetaData, r io.ReaderAt, size int64) error {
	start := m.DataPageOffset
	if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < start {
		start = m.DictionaryPageOffset
	}
	comp, uncomp := m.TotalCompressedSize, m.TotalUncompressedSize
	if start < 4 || comp < 0 || start+comp > size {
		return fmt.Errorf("chunk at %d of %d bytes lies outside the file of %d bytes", start, comp, size)
	}
	if uncomp < 0 || uncomp > max(maxSmallChunk, comp*maxInflate) {
		return fmt.Errorf("chunk of %d bytes claims %d bytes uncompressed", comp, uncomp)
	}
	off, end := start, start+comp
	var protocol thrift.CompactProtocol
	for off < end {
		cr := &countReader{r: bufio.NewReaderSize(io.NewSectionReader(r, off, end-off), 512)}
		var h format.PageHeader
		if err := thrift.NewDecoder(protocol.NewReader(cr)).Decode(&h); err != nil {
			return fmt.Errorf("page header at %d: %w", off, err)
		}
		if h.CompressedPageSize < 0 || h.UncompressedPageSize < 0 ||
			int64(h.CompressedPageSize) > end-off-cr.n || int64(h.UncompressedPageSize) > max(uncomp, maxSmallChunk) {
			return fmt.Errorf("page at %d claims %d bytes (%d uncompressed) in a chunk of %d (%d uncompressed)",
				off, h.CompressedPageSize, h.UncompressedPageSize, comp, uncomp)
		}
		body, bodyLen := off+cr.n, int64(h.CompressedPageSize)
		if v2 := h.DataPageHeaderV2; v2.Valid {
			levels := int64(v2.V.RepetitionLevelsByteLength) + int64(v2.V.DefinitionLevelsByteLength)
			if levels < 0 || levels > bodyLen {
				return fmt.Errorf("page at %d claims %d bytes of levels in %d", off, levels, bodyLen)
			}
			body, bodyLen = body+levels, bodyLen-levels
			if v2.V.IsCompressed.Valid && !v2.V.IsCompressed.V {
				bodyLen = 0
			}
		}
		if err := checkDecodedSize(m.Codec, r, body, bodyLen, int64(h.UncompressedPageSize)); err != nil {
			return fmt.Errorf("page at %d: %w", off, err)
		}
		off += cr.n + int64(h.CompressedPageSize)
	}
	return nil
}

// checkDecodedSize reads the decoded size that a snappy block or the first
// zstd frame of a page declares, which the decoders allocate up front, and
// checks it against the page header.
func checkDecodedSize(codec format.CompressionCodec, r io.ReaderAt, off, n, limit int64) error {
	if n <= 0 {
		return nil
	}
	switch codec {
	case format.Lz4, format.Lz4Raw:
		// parquet-go's LZ4 decoder doubles its buffer until a block fits,
		// without bound, so a damaged block exhausts memory. Walk the block
		// and compute its decoded size instead.
		if n > maxSmallChunk {
			return nil // too big to pre-read; large files come from real writers
		}
		src := make([]byte, n)
		if _, err := r.ReadAt(src, off); err != nil {
			return err
		}
		size, ok := lz4BlockSize(src)
		if !ok {
			return fmt.Errorf("malformed lz4 block")
		}
		if size > limit {
			return fmt.Errorf("lz4 block decodes to %d bytes for a page of %d", size, limit)
		}
		return nil
	case format.Snappy, format.Zstd:
	default:
		return nil
	}
	var buf [18]byte
	k, err := r.ReadAt(buf[:min(n, int64(len(buf)))], off)
	if err != nil && err != io.EOF {
		return err
	}
	p := buf[:k]
	var size uint64
	switch codec {
	case format.Snappy:
		v, m := binary.Uvarint(p)
		if m <= 0 {
			return fmt.Errorf("bad snappy length")
		}
		size = v
	case format.Zstd:
		if len(p) < 5 || binary.LittleEndian.Uint32(p) != 0xFD2FB528 {
			return nil // not a frame the decoder will size from its header
		}
		fhd := p[4]
		single := fhd&0x20 != 0
		i := 5
		if !single {
			i++ // window descriptor
		}
		i += []int{0, 1, 2, 4}[fhd&3] // dictionary id
		var fcsLen int
		switch fhd >> 6 {
		case 0:
			if single {
				fcsLen = 1
			}
		case 1:
			fcsLen = 2
		case 2:
			fcsLen = 4
		case 3:
			fcsLen = 8
		}
		if fcsLen == 0 {
			return nil
		}
		if i+fcsLen > len(p) {
			return fmt.Errorf("truncated zstd frame header")
		}
		f := p[i : i+fcsLen]
		switch fcsLen {
		case 1:
			size = uint64(f[0])
		case 2:
			size = uint64(binary.LittleEndian.Uint16(f)) + 256
		case 4:
			size = uint64(binary.LittleEndian.Uint32(f))
		case 8:
			size = binary.LittleEndian.Uint64(f)
		}
	}
	if size > uint64(limit) {
		return fmt.Errorf("compressed data declares %d bytes for a page of %d", size, limit)
	}
	return nil
}

// countReader counts the bytes read through it.
type countReader struct {
	r *bufio.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// lz4BlockSize returns the decoded size of an LZ4 block, and false if the
// block is malformed.
func lz4BlockSize(src []byte) (int64, bool) {
	var n int64
	i := 0
	length := func(base int64) (int64, bool) {
		if base != 15 {
			return base, true
		}
		for {
			if i >= len(src) {
				return 0, false
			}
			b := src[i]
			i++
			base += int64(b)
			if b != 255 {
				return base, true
			}
		}
	}
	for i < len(src) {
		token := src[i]
		i++
		lit, ok := length(int64(token >> 4))
		if !ok || int64(len(src)-i) < lit {
			return 0, false
		}
		i += int(lit)
		n += lit
		if i == len(src) {
			return n, true // the last sequence has literals only
		}
		if i+2 > len(src) {
			return 0, false
		}
		offset := int64(src[i]) | int64(src[i+1])<<8
		i += 2
		if offset == 0 || offset > n {
			return 0, false
		}
		match, ok := length(int64(token & 15))
		if !ok {
			return 0, false
		}
		n += match + 4
	}
	return n, len(src) > 0
}
