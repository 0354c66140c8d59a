// Writes duckdb_types.parquet with DuckDB 1.5.6, so that the data package is
// tested against a file from another Parquet implementation.
//
// Recipe (from the repository root; node_modules is not committed):
//
//	cd /tmp && npm install @duckdb/node-api@1.5.6-r.1
//	NODE_PATH=/tmp/node_modules node data/testdata/duckdb_fixture.mjs data/testdata
//
// The expected values in data/parquet_fixtures_test.go are the literals below.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.NODE_PATH || "/tmp/node_modules", "x.js"));
const { DuckDBInstance } = require("@duckdb/node-api");

const outDir = process.argv[2] || ".";
const out = path.join(outDir, "duckdb_types.parquet");
const db = await DuckDBInstance.create(":memory:");
const con = await db.connect();
await con.run(`
CREATE TABLE t AS SELECT * FROM (VALUES
  (1::BIGINT, 'alpha'::VARCHAR, 1.5::DOUBLE, 10::INTEGER, TIMESTAMP '2024-01-02 03:04:05.678901', true, 12.34::DECIMAL(12,2), DATE '2024-02-29', TIMESTAMP_MS '2024-05-06 07:08:09.123', TIMESTAMP_NS '1969-12-31 23:59:59.999999'),
  (-2::BIGINT, NULL, NULL, -20::INTEGER, NULL, false, -0.05::DECIMAL(12,2), DATE '1970-01-01', NULL, NULL),
  (NULL, 'beta', -0.25, NULL, TIMESTAMP '1999-12-31 23:59:59', NULL, NULL, NULL, TIMESTAMP_MS '1990-01-01 00:00:00', TIMESTAMP_NS '2030-01-01 00:00:00.000001'),
  (9007199254740993::BIGINT, 'alpha', 1e300, 2147483647, TIMESTAMP '2026-07-01 00:00:00', true, 9999999999.99::DECIMAL(12,2), DATE '2026-09-30', TIMESTAMP_MS '2026-12-31 23:59:59.999', TIMESTAMP_NS '2026-01-01 00:00:00')
) AS v(big, name, dbl, i32, ts, flag, amount, day, ts_ms, ts_ns);
`);
await con.run(`ALTER TABLE t ADD COLUMN tags VARCHAR[]`);
await con.run(`UPDATE t SET tags = ['x', name]`);
await con.run(`COPY t TO '${out}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 2)`);
const check = await con.runAndReadAll(`SELECT count(*) AS n, count(name) AS names FROM read_parquet('${out}')`);
console.log(out, JSON.stringify(check.getRowObjectsJson()));
