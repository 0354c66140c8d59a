package gbdt_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"leadscore/train/gbdt"
)

// shoppersDir is /work/shared/datasets/online-shoppers, relative to this
// package (repo/train/gbdt -> ../../../shared/datasets).
var shoppersDir = filepath.Join("..", "..", "..", "shared", "datasets", "online-shoppers")

// loadShoppers reads the UCI online shoppers data and its fixed split:
// train rows without es_valid, the es_valid rows, and test rows. Month
// and VisitorType are categorical codes, Weekend is 0/1, the rest is
// numeric; the label is Revenue.
func loadShoppers(t *testing.T) (feats []gbdt.Feature, train, valid, test gbdt.Dataset) {
	t.Helper()
	read := func(name string) [][]string {
		f, err := os.Open(filepath.Join(shoppersDir, name))
		if err != nil {
			t.Fatalf("online-shoppers fixture (see /work/shared/datasets): %v", err)
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return recs
	}
	data, split := read("online_shoppers_intention.csv"), read("split.csv")
	if len(data) != 12331 || len(split) != 12331 {
		t.Fatalf("got %d data and %d split lines, want 12331 each", len(data), len(split))
	}
	header := data[0]
	months := []string{"Feb", "Mar", "May", "June", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	visitors := []string{"Returning_Visitor", "New_Visitor", "Other"}
	for _, h := range header[:17] {
		f := gbdt.Feature{Name: h}
		switch h {
		case "Month":
			f.Categorical, f.Levels = true, len(months)
		case "VisitorType":
			f.Categorical, f.Levels = true, len(visitors)
		}
		feats = append(feats, f)
	}
	d := len(feats)
	for _, ds := range []*gbdt.Dataset{&train, &valid, &test} {
		ds.Cols = d
	}
	for i, rec := range data[1:] {
		row := make([]float64, d)
		for j, s := range rec[:17] {
			var v float64
			var err error
			switch header[j] {
			case "Month":
				v, err = code(months, s)
			case "VisitorType":
				v, err = code(visitors, s)
			case "Weekend":
				v, err = code([]string{"FALSE", "TRUE"}, s)
			default:
				v, err = strconv.ParseFloat(s, 64)
			}
			if err != nil {
				t.Fatalf("online_shoppers_intention.csv: row %d, column %q: %v", i+1, header[j], err)
			}
			row[j] = v
		}
		y, err := code([]string{"FALSE", "TRUE"}, rec[17])
		if err != nil {
			t.Fatalf("row %d Revenue: %v", i+1, err)
		}
		sp := split[i+1]
		if sp[0] != strconv.Itoa(i) {
			t.Fatalf("split.csv line %d is for row %s", i+2, sp[0])
		}
		ds := &test
		if sp[1] == "train" {
			ds = &train
			if sp[2] == "1" {
				ds = &valid
			}
		}
		ds.X = append(ds.X, row...)
		ds.Y = append(ds.Y, y)
		ds.Rows++
	}
	return feats, train, valid, test
}

func code(levels []string, s string) (float64, error) {
	if i := slices.Index(levels, s); i >= 0 {
		return float64(i), nil
	}
	return 0, fmt.Errorf("unknown level %q", s)
}

// TestOnlineShoppersQuality: baselines on the same split (see
// /work/shared/baselines.md) are xgboost 0.9376, LightGBM 0.9347,
// scikit-learn HGB 0.9343 test ROC AUC.
func TestOnlineShoppersQuality(t *testing.T) {
	feats, train, valid, test := loadShoppers(t)
	if train.Rows != 9864-987 || valid.Rows != 987 || test.Rows != 2466 {
		t.Fatalf("split sizes %d/%d/%d, want 8877/987/2466", train.Rows, valid.Rows, test.Rows)
	}
	for _, c := range []struct {
		name string
		cfg  gbdt.Config
	}{
		{"depth6", gbdt.Config{Rounds: 300, MaxDepth: 6, Seed: 1}},
		{"leaves31", gbdt.Config{Rounds: 300, MaxLeaves: 31, Seed: 1}},
	} {
		f, res, err := gbdt.Train(context.Background(), feats, train, &valid, c.cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		m := make([]float64, test.Rows)
		f.Margins(m, test.X, test.Rows)
		auc := gbdt.AUC(m, test.Y, nil)
		t.Logf("%s: test ROC AUC %.4f, best round %d", c.name, auc, res.BestRound)
		if auc < 0.93 {
			t.Errorf("%s: test ROC AUC %.4f < 0.93", c.name, auc)
		}
	}
}
