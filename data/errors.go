package data

import (
	"errors"
	"fmt"
)

// Sentinel errors wrapped by ColumnError and the other errors of this
// package; test for them with errors.Is.
var (
	// ErrBadTimestamp marks a timestamp that cannot be parsed or is out of
	// the sane range.
	ErrBadTimestamp = errors.New("bad timestamp")
	// ErrMissingColumn marks a required column that the table lacks.
	ErrMissingColumn = errors.New("missing column")
	// ErrBadOutcome marks a label value that is neither positive, negative
	// nor open.
	ErrBadOutcome = errors.New("bad outcome")
	// ErrDuplicateID marks an id that occurs more than once.
	ErrDuplicateID = errors.New("duplicate id")
	// ErrBadType marks a column whose type is not the one required.
	ErrBadType = errors.New("bad column type")
	// ErrNull marks a null in a column that must not have any.
	ErrNull = errors.New("null value")
	// ErrEmpty marks an empty string where a value is required.
	ErrEmpty = errors.New("empty value")
	// ErrOneClass marks a label column whose closed rows are all of one class.
	ErrOneClass = errors.New("label has only one class")
	// ErrRaggedRow marks a CSV record with the wrong number of fields.
	ErrRaggedRow = errors.New("wrong number of fields")
	// ErrBadValue marks a value that cannot be converted to its column's type.
	ErrBadValue = errors.New("bad value")
	// ErrCorrupt marks a Parquet file that cannot be decoded.
	ErrCorrupt = errors.New("corrupt or unsupported parquet file")
	// ErrUnsupported marks a Parquet column whose type or nesting this
	// package cannot represent.
	ErrUnsupported = errors.New("unsupported column")
	// ErrTooManyErrors is the last error of a joined list that was cut short.
	ErrTooManyErrors = errors.New("too many errors; stopped reporting")
)

// A ColumnError reports a bad value in an input file.
// Row counts data rows from 1; the header is not a row. Row is 0 when the
// error concerns the whole column (a missing column, a wrong type).
type ColumnError struct {
	File   string // as given by the caller
	Row    int
	Column string
	Value  string // the offending value, truncated for display
	Err    error  // ErrBadTimestamp, ErrMissingColumn, ErrBadOutcome, ...
}

func (e *ColumnError) Error() string {
	return fmt.Sprintf("%s: row %d, column %q: value %q: %v", e.File, e.Row, e.Column, e.Value, e.Err)
}

func (e *ColumnError) Unwrap() error { return e.Err }

// maxValueLen is the longest Value a ColumnError carries.
const maxValueLen = 64

// truncate shortens s for display in an error, marking the cut with "...".
func truncate(s string) string {
	if len(s) <= maxValueLen {
		return s
	}
	cut := maxValueLen
	for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "..."
}

// errList collects errors up to a cap; past the cap it records only that
// more errors were seen.
type errList struct {
	errs []error
	max  int
	more int
}

func (l *errList) add(err error) {
	if len(l.errs) < l.max {
		l.errs = append(l.errs, err)
		return
	}
	l.more++
}

func (l *errList) count() int { return len(l.errs) + l.more }

func (l *errList) full() bool { return len(l.errs) >= l.max }

func (l *errList) err() error {
	if l.more > 0 {
		return errors.Join(append(l.errs, fmt.Errorf("%w (%d more)", ErrTooManyErrors, l.more))...)
	}
	return errors.Join(l.errs...)
}
