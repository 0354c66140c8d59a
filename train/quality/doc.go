// Package quality proves the trainer on the public lead-scoring datasets in
// /work/shared/datasets, side by side with the scikit-learn, XGBoost and
// LightGBM numbers in /work/shared/baselines.md.
//
//	dataset CSV ──Load*──▶ *data.Table (+ split, es_valid from the split file)
//	*data.Table ──Case: spec + split──▶ train.Run ──▶ Summary
//	Summary + baselines.md ──FormatComparison──▶ markdown table
//
// The loaders follow each dataset's PROVENANCE.md exactly: the split file
// is joined by row index (and by id where it has one), and outcome leaks
// are never features. The quality tests sit behind the build tag quality,
// because they train real models for a minute or more:
//
//	go test -tags quality ./train/quality/
//	QUALITY_OUT=train/quality/testdata/results.md go test -tags quality ./train/quality/
package quality
