package data_test

import (
	"fmt"
	"os"
	"strings"

	"leadscore/data"
)

func ExampleImportCSV() {
	in := "lead_id;created_at;outcome;amount\r\n" +
		"L1;2026-07-01;won;1200\r\n" +
		"L2;2026-08-15 10:30;lost;NA\r\n" +
		"L3;2026-10-02;open;99.5\r\n"
	tab, rep, err := data.ImportCSV(strings.NewReader(in), "leads.csv", data.ImportOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	rep.WriteText(os.Stdout)
	fmt.Println()
	d := data.Describe(tab, data.DescribeOptions{Label: "outcome", TimeColumn: "created_at"})
	d.WriteText(os.Stdout)
	// Output:
	// leads.csv: 3 rows, 4 columns, delimiter ";"
	// column      type       detail         nulls  examples
	// lead_id     string     -                  0  "L1" "L2" "L3"
	// created_at  timestamp  date+datetime      0  "2026-07-01" "2026-08-15 10:30" "2026-10-02"
	// outcome     string     -                  0  "won" "lost" "open"
	// amount      float      float              1  "1200" "99.5"
	//
	// 3 rows, 4 columns
	//
	// column      type       nulls  null %  distinct         min         max
	// lead_id     string         0    0.0%         3           -           -
	// created_at  timestamp      0    0.0%         3  2026-07-01  2026-10-02
	// outcome     string         0    0.0%         3           -           -
	// amount      float          1   33.3%         2        99.5        1200
	//
	// label outcome  count  share
	// lost               1  33.3%
	// open               1  33.3%
	// won                1  33.3%
	//
	// quarter (created_at)  rows
	// 2026Q3                   2
	// 2026Q4                   1
}

func ExampleQuarterBounds() {
	start, end, err := data.QuarterBounds("2026Q3")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(start.Format("2006-01-02"), end.Format("2006-01-02"), data.Quarter(end.UnixMicro()-1))
	// Output: 2026-07-01 2026-10-01 2026Q3
}
