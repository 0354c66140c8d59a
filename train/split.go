package train

import (
	"fmt"
	"sort"
	"strings"

	"leadscore/data"
)

// Role is what a row is used for in one training run.
type Role uint8

// The roles. Open rows (no outcome yet) are never training rows.
const (
	RoleOpen  Role = iota // no outcome yet: not used
	RoleTrain             // fits the transformer and the models
	RoleValid             // early stopping, calibration, model choice
	RoleTest              // the honest estimate, reported only
)

// String returns the role's name.
func (r Role) String() string {
	return [...]string{"open", "train", "valid", "test"}[r]
}

// SplitConfig says how rows are divided between training, validation and
// test. The default is out of time: the newest quarter with both won and
// lost leads is the test period, the quarter before it the validation
// period, and older quarters train — because the model is retrained every
// quarter and used on the next.
type SplitConfig struct {
	// TimeColumn holds the lead's creation time; it dates the quarters.
	TimeColumn string
	// TestQuarters and ValidQuarters are the numbers of newest quarters
	// used for test and validation. Defaults 1 and 1.
	TestQuarters, ValidQuarters int
	// SplitColumn, when set, overrides the time split: its values "train"
	// and "test" assign rows (other values, e.g. "open", are not used).
	SplitColumn string
	// ValidColumn, when set with SplitColumn, marks validation rows inside
	// train with 1 (or true).
	ValidColumn string
}

// Split is the outcome of splitting: a role and a period per row.
type Split struct {
	Roles []Role
	// Quarter of each row ("2026Q3"), or "" when no time column exists.
	Quarters []string
	// TestPeriod and ValidPeriod describe the periods in words, e.g.
	// "2026Q3" or "split column \"split\"".
	TestPeriod, ValidPeriod, TrainPeriod string
}

// Count returns the number of rows with role r.
func (s *Split) Count(r Role) int {
	n := 0
	for _, x := range s.Roles {
		if x == r {
			n++
		}
	}
	return n
}

// Rows returns the indices of the rows with role r.
func (s *Split) Rows(r Role) []int {
	var idx []int
	for i, x := range s.Roles {
		if x == r {
			idx = append(idx, i)
		}
	}
	return idx
}

// MakeSplit assigns a role to every row of leads. y holds 1 (won), 0 (lost)
// or -1 (open) per row; open rows always get RoleOpen.
func MakeSplit(leads *data.Table, file string, y []int8, cfg SplitConfig) (*Split, error) {
	if cfg.TestQuarters == 0 {
		cfg.TestQuarters = 1
	}
	if cfg.ValidQuarters == 0 {
		cfg.ValidQuarters = 1
	}
	s := &Split{Roles: make([]Role, leads.Rows), Quarters: make([]string, leads.Rows)}
	if cfg.TimeColumn != "" {
		if tc := leads.Col(cfg.TimeColumn); tc != nil && tc.Type == data.Time {
			for i := range s.Quarters {
				if !tc.IsNull(i) {
					s.Quarters[i] = data.Quarter(tc.Times[i])
				}
			}
		}
	}
	if cfg.SplitColumn != "" {
		return s, splitByColumn(leads, file, y, cfg, s)
	}
	if cfg.TimeColumn == "" {
		return nil, fmt.Errorf("split: no time column and no split column")
	}
	tc := leads.Col(cfg.TimeColumn)
	if tc == nil {
		return nil, &data.ColumnError{File: file, Column: cfg.TimeColumn, Err: data.ErrMissingColumn}
	}
	if tc.Type != data.Time {
		return nil, fmt.Errorf("split: %s: column %q is %s, want a timestamp", file, cfg.TimeColumn, tc.Type)
	}
	// Quarters with both classes among closed leads, newest first.
	type counts struct{ won, lost int }
	per := map[string]*counts{}
	for i, q := range s.Quarters {
		if q == "" || y[i] < 0 {
			continue
		}
		c := per[q]
		if c == nil {
			c = &counts{}
			per[q] = c
		}
		if y[i] == 1 {
			c.won++
		} else {
			c.lost++
		}
	}
	var qs []string
	for q, c := range per {
		if c.won > 0 && c.lost > 0 {
			qs = append(qs, q)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(qs)))
	need := cfg.TestQuarters + cfg.ValidQuarters + 1
	if len(qs) < need {
		return nil, fmt.Errorf("split: %s: %d quarters have both won and lost leads (%s), need at least %d for an out-of-time split (%d test, %d validation, 1+ train); use --split-column for data without quarters",
			file, len(qs), strings.Join(qs, ", "), need, cfg.TestQuarters, cfg.ValidQuarters)
	}
	test := qs[:cfg.TestQuarters]
	valid := qs[cfg.TestQuarters : cfg.TestQuarters+cfg.ValidQuarters]
	role := map[string]Role{}
	for _, q := range test {
		role[q] = RoleTest
	}
	for _, q := range valid {
		role[q] = RoleValid
	}
	oldestValid := valid[len(valid)-1]
	for i, q := range s.Quarters {
		switch {
		case y[i] < 0 || q == "":
			s.Roles[i] = RoleOpen
		case role[q] != RoleOpen:
			s.Roles[i] = role[q]
		case q < oldestValid:
			s.Roles[i] = RoleTrain
		default:
			// A quarter newer than validation without both classes: keep it
			// out rather than train on the future.
			s.Roles[i] = RoleOpen
		}
	}
	s.TestPeriod = periodName(test)
	s.ValidPeriod = periodName(valid)
	s.TrainPeriod = "before " + oldestValid
	return s, nil
}

func periodName(qs []string) string {
	c := append([]string(nil), qs...)
	sort.Strings(c)
	if len(c) == 1 {
		return c[0]
	}
	return c[0] + ".." + c[len(c)-1]
}

func splitByColumn(leads *data.Table, file string, y []int8, cfg SplitConfig, s *Split) error {
	sc := leads.Col(cfg.SplitColumn)
	if sc == nil {
		return &data.ColumnError{File: file, Column: cfg.SplitColumn, Err: data.ErrMissingColumn}
	}
	if sc.Type != data.String {
		return fmt.Errorf("split: %s: column %q is %s, want strings train/test", file, cfg.SplitColumn, sc.Type)
	}
	var vc *data.Column
	if cfg.ValidColumn != "" {
		if vc = leads.Col(cfg.ValidColumn); vc == nil {
			return &data.ColumnError{File: file, Column: cfg.ValidColumn, Err: data.ErrMissingColumn}
		}
	}
	for i := range s.Roles {
		v, _ := sc.Str(i)
		switch {
		case y[i] < 0:
			s.Roles[i] = RoleOpen
		case v == "test":
			s.Roles[i] = RoleTest
		case v == "train":
			s.Roles[i] = RoleTrain
			if vc != nil && isOne(vc, i) {
				s.Roles[i] = RoleValid
			}
		default:
			s.Roles[i] = RoleOpen
		}
	}
	if s.Count(RoleTrain) == 0 || s.Count(RoleTest) == 0 {
		return fmt.Errorf("split: %s: column %q gives %d train and %d test rows, want both", file, cfg.SplitColumn, s.Count(RoleTrain), s.Count(RoleTest))
	}
	s.TestPeriod = fmt.Sprintf("split column %q = test", cfg.SplitColumn)
	s.TrainPeriod = fmt.Sprintf("split column %q = train", cfg.SplitColumn)
	if vc != nil {
		s.ValidPeriod = fmt.Sprintf("valid column %q = 1", cfg.ValidColumn)
	}
	return nil
}

func isOne(c *data.Column, i int) bool {
	if c.IsNull(i) {
		return false
	}
	switch c.Type {
	case data.Float:
		return c.Floats[i] == 1
	case data.Bool:
		return c.Bools[i]
	case data.String:
		v, _ := c.Str(i)
		return v == "1" || v == "true"
	}
	return false
}
