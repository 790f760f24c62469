import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { formatUtcDateTime, parseUtcDateTime, readTransactionsCsv } from "./csv";

test("TX_DATETIME is read as UTC, with or without a T, fraction or seconds", () => {
  expect(parseUtcDateTime("2018-04-01 00:00:31")).toBe(Date.UTC(2018, 3, 1, 0, 0, 31));
  expect(parseUtcDateTime("2018-09-30T23:59:57")).toBe(Date.UTC(2018, 8, 30, 23, 59, 57));
  expect(parseUtcDateTime("2018-09-30 23:59:57.250")).toBe(Date.UTC(2018, 8, 30, 23, 59, 57, 250));
  expect(parseUtcDateTime("2018-02-28")).toBe(Date.UTC(2018, 1, 28));
  expect(parseUtcDateTime("not a date")).toBeNaN();
  expect(formatUtcDateTime(Date.UTC(2018, 3, 1, 0, 0, 31))).toBe("2018-04-01 00:00:31");
});

test("columns by name, extra columns ignored, ids kept, TX_TIME_DAYS derived when absent", async () => {
  const dir = mkdtempSync(join(tmpdir(), "csv-"));
  const p = join(dir, "t.csv");
  writeFileSync(
    p,
    [
      "EXTRA,TX_FRAUD,TX_AMOUNT,TERMINAL_ID,CUSTOMER_ID,TX_DATETIME,TRANSACTION_ID",
      'x,0,12.5,T9,"C,1",2018-04-01 10:00:00,a',
      "y,1,300,T9,C2,2018-04-03 10:00:00,b",
      "",
    ].join("\r\n"),
  );
  const t = await readTransactionsCsv(p);
  expect(t.length).toBe(2);
  expect(t.transactionId).toEqual(["a", "b"]);
  expect(t.customerIds).toEqual(["C,1", "C2"]);
  expect(t.terminal[0]).toBe(t.terminal[1]);
  expect(Array.from(t.amount)).toEqual([12.5, 300]);
  expect(Array.from(t.fraud)).toEqual([0, 1]);
  expect(Array.from(t.timeDays)).toEqual([0, 2]);
  expect(Array.from(t.sequence)).toEqual([0, 1]); // non-numeric ids: file order
});

test("a missing required column is an error", async () => {
  const dir = mkdtempSync(join(tmpdir(), "csv-"));
  const p = join(dir, "bad.csv");
  writeFileSync(p, "TRANSACTION_ID,TX_DATETIME\n1,2018-04-01 00:00:00\n");
  await expect(readTransactionsCsv(p)).rejects.toThrow(/missing column/);
});
