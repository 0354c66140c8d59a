// Package data reads, checks and writes the columnar tables that the rest of
// leadscore works on.
//
//	leads.parquet ──ReadParquet──▶ *Table ──ValidateLeads──▶ *LeadsSummary
//	leads.csv ──ImportCSV──▶ *Table ──WriteParquet──▶ leads.parquet
//	*Table ──Describe──▶ *Description ──WriteText──▶ aligned text
//
// A Table holds typed columns (see table.go): integers and decimals are
// widened to float64, strings are dictionary-encoded, timestamps are
// microseconds since the Unix epoch in UTC, and every column may hold nulls.
// Parquet files are read column by column through parquet-go's page API, so
// only the columns asked for are decoded; a damaged file yields an error that
// names it, never a panic. Files are written atomically: a temporary file in
// the same directory, fsync, then rename.
//
// Bad values in input files are reported as *ColumnError, which names the
// file, row, column and value, and wraps one of the sentinel errors
// (ErrBadTimestamp, ErrMissingColumn, ...). Validators report every problem
// found, up to a cap, joined with errors.Join.
package data
