package quality

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"leadscore/data"
)

// DefaultDir is the shared datasets directory relative to this package's
// directory (train/quality), where go test runs.
const DefaultDir = "../../../shared/datasets"

// importFile reads one CSV file of a dataset directory.
func importFile(path string, opts data.ImportOptions) (*data.Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("quality: %w", err)
	}
	defer f.Close() // read only: a Close error cannot lose data
	t, _, err := data.ImportCSV(f, path, opts)
	if err != nil {
		return nil, fmt.Errorf("quality: %w", err)
	}
	return t, nil
}

// stringTypes returns an ImportOptions.Types map reading the named columns
// as strings.
func stringTypes(names ...string) map[string]data.Type {
	m := make(map[string]data.Type, len(names))
	for _, n := range names {
		m[n] = data.String
	}
	return m
}

// splitPair names a split-file column pair and the names it gets in the
// joined table.
type splitPair struct {
	split, valid string
}

// joinSplit reads the split file at path and appends its split columns
// (as strings) and validation columns (as floats 0/1) to t. Row k of the
// split file must have row == k; idCol, when set, must also agree with
// column idCol of t at that row.
func joinSplit(t *data.Table, path, idCol string, pairs ...splitPair) (*data.Table, error) {
	types := stringTypes("split", idCol)
	for _, p := range pairs {
		types[p.split] = data.String
		types[p.valid] = data.Float
	}
	delete(types, "")
	s, err := importFile(path, data.ImportOptions{Delimiter: ',', Types: types})
	if err != nil {
		return nil, err
	}
	if s.Rows != t.Rows {
		return nil, fmt.Errorf("quality: %s: %d rows, want %d (one per data row)", path, s.Rows, t.Rows)
	}
	row := s.Col("row")
	if row == nil || row.Type != data.Float {
		return nil, fmt.Errorf("quality: %s: no numeric column %q", path, "row")
	}
	for i := 0; i < s.Rows; i++ {
		if row.IsNull(i) || row.Floats[i] != float64(i) {
			return nil, fmt.Errorf("quality: %s: row %d: column %q: value %q, want %d", path, i+1, "row", row.Format(i), i)
		}
	}
	if idCol != "" {
		a, b := s.Col(idCol), t.Col(idCol)
		if a == nil || b == nil {
			return nil, fmt.Errorf("quality: %s: id column %q missing from the split file or the data", path, idCol)
		}
		for i := 0; i < s.Rows; i++ {
			if x, y := a.Format(i), b.Format(i); x != y {
				return nil, fmt.Errorf("quality: %s: row %d: column %q: value %q, want %q as in the data", path, i+1, idCol, x, y)
			}
		}
	}
	cols := append([]*data.Column(nil), t.Columns...)
	for _, p := range pairs {
		sc, vc := s.Col(p.split), s.Col(p.valid)
		if sc == nil || vc == nil {
			return nil, fmt.Errorf("quality: %s: columns %q and %q required", path, p.split, p.valid)
		}
		for i := 0; i < s.Rows; i++ {
			if v, _ := sc.Str(i); v != "train" && v != "test" && v != "open" {
				return nil, fmt.Errorf("quality: %s: row %d: column %q: value %q, want train, test or open", path, i+1, p.split, v)
			}
			if vc.IsNull(i) || (vc.Floats[i] != 0 && vc.Floats[i] != 1) {
				return nil, fmt.Errorf("quality: %s: row %d: column %q: value %q, want 0 or 1", path, i+1, p.valid, vc.Format(i))
			}
		}
		cols = append(cols, sc, vc)
	}
	out, err := data.NewTable(cols...)
	if err != nil {
		return nil, fmt.Errorf("quality: %s: %w", path, err)
	}
	return out, nil
}

// LoadOnlineShoppers reads online-shoppers/online_shoppers_intention.csv
// under dir, with OperatingSystems, Browser, Region and TrafficType read as
// strings (codes, not quantities), Weekend and Revenue as bools, and the
// split file's split and es_valid columns appended.
func LoadOnlineShoppers(dir string) (*data.Table, error) {
	d := filepath.Join(dir, "online-shoppers")
	t, err := importFile(filepath.Join(d, "online_shoppers_intention.csv"), data.ImportOptions{
		Delimiter: ',',
		Types: map[string]data.Type{
			"OperatingSystems": data.String, "Browser": data.String, "Region": data.String, "TrafficType": data.String,
			"Month": data.String, "VisitorType": data.String, "Weekend": data.Bool, "Revenue": data.Bool,
		},
	})
	if err != nil {
		return nil, err
	}
	return joinSplit(t, filepath.Join(d, "split.csv"), "", splitPair{"split", "es_valid"})
}

// LoadBankAdditional reads bank-marketing/bank-additional-full.csv under
// dir (';'-separated) and appends the split file's columns split and
// es_valid (time-ordered, primary) and split_random and es_valid_random
// (stratified random, secondary). It keeps every column, including the
// leaky duration: the spec decides what is a feature.
func LoadBankAdditional(dir string) (*data.Table, error) {
	d := filepath.Join(dir, "bank-marketing")
	t, err := importFile(filepath.Join(d, "bank-additional-full.csv"), data.ImportOptions{
		Delimiter: ';',
		Types:     stringTypes("job", "marital", "education", "default", "housing", "loan", "contact", "month", "day_of_week", "poutcome", "y"),
	})
	if err != nil {
		return nil, err
	}
	return joinSplit(t, filepath.Join(d, "split-bank-additional-full.csv"), "",
		splitPair{"split", "es_valid"}, splitPair{"split_random", "es_valid_random"})
}

// OlistLabel is the label column LoadOlist adds: true iff the MQL's id
// appears in the closed-deals file.
const OlistLabel = "converted"

// LoadOlist reads the Olist marketing-qualified leads under dir and adds
// the bool column converted (the mql_id appears in
// olist_closed_deals_dataset.csv) and the split file's split and es_valid.
// Nothing else is taken from the closed deals: every one of their columns
// exists only for converted leads.
func LoadOlist(dir string) (*data.Table, error) {
	d := filepath.Join(dir, "olist-marketing-funnel")
	t, err := importFile(filepath.Join(d, "olist_marketing_qualified_leads_dataset.csv"), data.ImportOptions{
		Delimiter: ',',
		Types:     stringTypes("mql_id", "landing_page_id", "origin"),
	})
	if err != nil {
		return nil, err
	}
	closedPath := filepath.Join(d, "olist_closed_deals_dataset.csv")
	closed, err := importFile(closedPath, data.ImportOptions{Delimiter: ',', Types: stringTypes("mql_id")})
	if err != nil {
		return nil, err
	}
	won := map[string]bool{}
	cid := closed.Col("mql_id")
	if cid == nil {
		return nil, fmt.Errorf("quality: %s: no column %q", closedPath, "mql_id")
	}
	for i := 0; i < closed.Rows; i++ {
		v, ok := cid.Str(i)
		if !ok {
			return nil, fmt.Errorf("quality: %s: row %d: column %q: empty", closedPath, i+1, "mql_id")
		}
		won[v] = true
	}
	id := t.Col("mql_id")
	if id == nil {
		return nil, fmt.Errorf("quality: %s: no column %q", d, "mql_id")
	}
	label := make([]bool, t.Rows)
	found := 0
	for i := range label {
		v, _ := id.Str(i)
		if won[v] {
			label[i] = true
			found++
		}
	}
	if found != len(won) {
		return nil, fmt.Errorf("quality: %s: %d of %d closed-deal mql_ids are in the MQL file, want all", closedPath, found, len(won))
	}
	t, err = data.NewTable(append(append([]*data.Column(nil), t.Columns...), data.NewBoolColumn(OlistLabel, label, nil))...)
	if err != nil {
		return nil, fmt.Errorf("quality: %w", err)
	}
	return joinSplit(t, filepath.Join(d, "split.csv"), "mql_id", splitPair{"split", "es_valid"})
}

// crmProductNames maps product names of sales_pipeline.csv that differ
// from products.csv (PROVENANCE.md: "GTXPro" is "GTX Pro").
var crmProductNames = map[string]string{"GTXPro": "GTX Pro"}

// LoadCRM reads crm-sales-opportunities/sales_pipeline.csv under dir and
// joins, per opportunity: sales_teams.csv on sales_agent (manager,
// regional_office), products.csv on product after the GTXPro → "GTX Pro"
// mapping (series, sales_price), and accounts.csv on account (sector,
// year_established, revenue, employees, office_location, subsidiary_of);
// then the split file's split (train/test/open) and es_valid. A sales agent
// or product missing from its dimension table is an error; an empty
// account (open deals only) gives nulls.
func LoadCRM(dir string) (*data.Table, error) {
	d := filepath.Join(dir, "crm-sales-opportunities")
	p, err := importFile(filepath.Join(d, "sales_pipeline.csv"), data.ImportOptions{
		Delimiter: ',',
		Types:     stringTypes("opportunity_id", "sales_agent", "product", "account", "deal_stage"),
	})
	if err != nil {
		return nil, err
	}
	teams, err := importFile(filepath.Join(d, "sales_teams.csv"), data.ImportOptions{Delimiter: ',', Types: stringTypes("sales_agent", "manager", "regional_office")})
	if err != nil {
		return nil, err
	}
	products, err := importFile(filepath.Join(d, "products.csv"), data.ImportOptions{Delimiter: ',', Types: stringTypes("product", "series")})
	if err != nil {
		return nil, err
	}
	accounts, err := importFile(filepath.Join(d, "accounts.csv"), data.ImportOptions{
		Delimiter: ',',
		Types:     stringTypes("account", "sector", "office_location", "subsidiary_of"),
	})
	if err != nil {
		return nil, err
	}
	cols := append([]*data.Column(nil), p.Columns...)
	for _, j := range []struct {
		dim      *data.Table
		file     string
		key      string
		rename   map[string]string
		required bool
		take     []string
	}{
		{teams, "sales_teams.csv", "sales_agent", nil, true, []string{"manager", "regional_office"}},
		{products, "products.csv", "product", crmProductNames, true, []string{"series", "sales_price"}},
		{accounts, "accounts.csv", "account", nil, false, []string{"sector", "year_established", "revenue", "employees", "office_location", "subsidiary_of"}},
	} {
		idx, err := lookup(p, j.dim, j.key, j.rename, j.required, filepath.Join(d, j.file))
		if err != nil {
			return nil, err
		}
		for _, name := range j.take {
			c := j.dim.Col(name)
			if c == nil {
				return nil, fmt.Errorf("quality: %s: no column %q", filepath.Join(d, j.file), name)
			}
			g, err := gather(c, idx)
			if err != nil {
				return nil, fmt.Errorf("quality: %s: %w", filepath.Join(d, j.file), err)
			}
			cols = append(cols, g)
		}
	}
	t, err := data.NewTable(cols...)
	if err != nil {
		return nil, fmt.Errorf("quality: %w", err)
	}
	return joinSplit(t, filepath.Join(d, "split.csv"), "opportunity_id", splitPair{"split", "es_valid"})
}

// lookup returns, per row of fact, the row of dim whose key column equals
// fact's key column (after rename), or -1 for a null key. A key value not
// in dim is an error when required.
func lookup(fact, dim *data.Table, key string, rename map[string]string, required bool, dimFile string) ([]int, error) {
	fk, dk := fact.Col(key), dim.Col(key)
	if fk == nil || dk == nil {
		return nil, fmt.Errorf("quality: join on %q: column missing from the fact table or %s", key, dimFile)
	}
	at := map[string]int{}
	for i := 0; i < dim.Rows; i++ {
		v, ok := dk.Str(i)
		if !ok {
			continue
		}
		if _, dup := at[v]; dup {
			return nil, fmt.Errorf("quality: %s: row %d: column %q: value %q is not unique", dimFile, i+1, key, v)
		}
		at[v] = i
	}
	idx := make([]int, fact.Rows)
	for i := range idx {
		v, ok := fk.Str(i)
		if !ok {
			if required {
				return nil, fmt.Errorf("quality: row %d: column %q: empty, want a key of %s", i+1, key, dimFile)
			}
			idx[i] = -1
			continue
		}
		if r, ok := rename[v]; ok {
			v = r
		}
		k, ok := at[v]
		if !ok {
			return nil, fmt.Errorf("quality: row %d: column %q: value %q is not in %s", i+1, key, v, dimFile)
		}
		idx[i] = k
	}
	return idx, nil
}

// gather returns column c's rows idx as a new column; -1 gives a null.
// Only float and string columns are supported.
func gather(c *data.Column, idx []int) (*data.Column, error) {
	valid := make([]bool, len(idx))
	switch c.Type {
	case data.Float:
		v := make([]float64, len(idx))
		for k, i := range idx {
			if v[k] = math.NaN(); i >= 0 && !c.IsNull(i) {
				v[k] = c.Floats[i]
			}
		}
		return data.NewFloatColumn(c.Name, v), nil
	case data.String:
		v := make([]string, len(idx))
		for k, i := range idx {
			if i >= 0 {
				v[k], valid[k] = c.Str(i)
			}
		}
		return data.NewStringColumn(c.Name, v, valid), nil
	}
	return nil, fmt.Errorf("column %q has type %v, want float or string", c.Name, c.Type)
}
