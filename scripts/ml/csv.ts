/**
 * Streaming CSV I/O for the handbook's raw transaction schema:
 * `TRANSACTION_ID, TX_DATETIME, CUSTOMER_ID, TERMINAL_ID, TX_AMOUNT, TX_TIME_SECONDS, TX_TIME_DAYS,
 * TX_FRAUD, TX_FRAUD_SCENARIO`. Columns are found by header name (extra columns are ignored);
 * `TX_DATETIME` is read as UTC (`YYYY-MM-DD HH:MM:SS`, optional fraction, `T` or space).
 */
import { createReadStream, createWriteStream, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { once } from "node:events";
import type { SimulatedTransactions } from "./simulator";

export const RAW_COLUMNS = [
  "TRANSACTION_ID",
  "TX_DATETIME",
  "CUSTOMER_ID",
  "TERMINAL_ID",
  "TX_AMOUNT",
  "TX_TIME_SECONDS",
  "TX_TIME_DAYS",
  "TX_FRAUD",
  "TX_FRAUD_SCENARIO",
] as const;

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Parses `YYYY-MM-DD[ T]HH:MM:SS[.fff]` (or a bare date) as UTC milliseconds; NaN if malformed. */
export function parseUtcDateTime(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?Z?$/.exec(
    s.trim(),
  );
  if (!m) return NaN;
  const days = daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]));
  const secs =
    Number(m[4] ?? 0) * 3600 + Number(m[5] ?? 0) * 60 + Number(m[6] ?? 0) + Number(m[7] ?? 0);
  return days * DAY_MS + Math.round(secs * 1000);
}

/** Formats UTC milliseconds as `YYYY-MM-DD HH:MM:SS` (the handbook's naive TX_DATETIME). */
export function formatUtcDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/** A transactions table read from CSV, one entry per row in file order. */
export interface TransactionTable {
  length: number;
  /** TRANSACTION_ID as written in the file. */
  transactionId: string[];
  /** Arrival order for equal timestamps: the numeric TRANSACTION_ID when all ids are numeric, else the row. */
  sequence: Float64Array;
  timestampMs: Float64Array;
  /** Dense customer index (0..customerIds.length-1) and the original ids. */
  customer: Int32Array;
  customerIds: string[];
  terminal: Int32Array;
  terminalIds: string[];
  amount: Float64Array;
  fraud: Uint8Array;
  /** TX_TIME_DAYS when present, else whole UTC days since the first row's UTC day. */
  timeDays: Int32Array;
  /** TX_FRAUD_SCENARIO when present, else 0. */
  scenario: Uint8Array;
}

class Growable<T extends Float64Array | Int32Array | Uint8Array> {
  data: T;
  length = 0;
  constructor(private readonly make: (n: number) => T) {
    this.data = make(1 << 16);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  done(): T {
    return this.data.slice(0, this.length) as T;
  }
}

function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(",");
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Reads a raw-schema CSV by streaming it; `onProgress` is called every million rows. */
export async function readTransactionsCsv(
  path: string,
  onProgress?: (rows: number) => void,
): Promise<TransactionTable> {
  const stream = createReadStream(path, { highWaterMark: 1 << 22, encoding: "latin1" });
  let header: string[] | null = null;
  let col: Record<string, number> = {};
  let carry = "";
  const ids: string[] = [];
  const ts = new Growable((n) => new Float64Array(n));
  const amount = new Growable((n) => new Float64Array(n));
  const customer = new Growable((n) => new Int32Array(n));
  const terminal = new Growable((n) => new Int32Array(n));
  const fraud = new Growable((n) => new Uint8Array(n));
  const days = new Growable((n) => new Int32Array(n));
  const scenario = new Growable((n) => new Uint8Array(n));
  const customerIndex = new Map<string, number>();
  const terminalIndex = new Map<string, number>();
  const customerIds: string[] = [];
  const terminalIds: string[] = [];
  let lineNo = 0;

  const dense = (map: Map<string, number>, list: string[], key: string): number => {
    let v = map.get(key);
    if (v === undefined) {
      v = list.length;
      map.set(key, v);
      list.push(key);
    }
    return v;
  };

  let cId = 0;
  let cDt = 0;
  let cCust = 0;
  let cTerm = 0;
  let cAmt = 0;
  let cFraud = 0;
  let cDays = -1;
  let cScen = -1;

  const handleLine = (line: string) => {
    lineNo++;
    if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (line.length === 0) return;
    const f = splitCsvLine(line);
    if (header === null) {
      header = f.map((h) => h.trim());
      col = Object.fromEntries(header.map((h, i) => [h, i]));
      for (const name of [
        "TRANSACTION_ID",
        "TX_DATETIME",
        "CUSTOMER_ID",
        "TERMINAL_ID",
        "TX_AMOUNT",
        "TX_FRAUD",
      ]) {
        if (col[name] === undefined) throw new Error(`${path}: missing column ${name}`);
      }
      cId = col.TRANSACTION_ID;
      cDt = col.TX_DATETIME;
      cCust = col.CUSTOMER_ID;
      cTerm = col.TERMINAL_ID;
      cAmt = col.TX_AMOUNT;
      cFraud = col.TX_FRAUD;
      cDays = col.TX_TIME_DAYS ?? -1;
      cScen = col.TX_FRAUD_SCENARIO ?? -1;
      return;
    }
    const t = parseUtcDateTime(f[cDt]);
    const a = Number(f[cAmt]);
    const y = Number(f[cFraud]);
    if (!Number.isFinite(t) || !Number.isFinite(a) || (y !== 0 && y !== 1)) {
      throw new Error(`${path}:${lineNo}: malformed row: ${line.slice(0, 200)}`);
    }
    ids.push(f[cId]);
    ts.push(t);
    amount.push(a);
    fraud.push(y);
    customer.push(dense(customerIndex, customerIds, f[cCust]));
    terminal.push(dense(terminalIndex, terminalIds, f[cTerm]));
    days.push(cDays >= 0 ? Number(f[cDays]) : NaN);
    scenario.push(cScen >= 0 ? Number(f[cScen]) : 0);
    if (onProgress && ids.length % 1_000_000 === 0) onProgress(ids.length);
  };

  for await (const chunk of stream) {
    const text = carry + (chunk as string);
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl < 0) break;
      handleLine(text.slice(start, nl));
      start = nl + 1;
    }
    carry = text.slice(start);
  }
  if (carry.length > 0) handleLine(carry);
  if (header === null) throw new Error(`${path}: empty file`);

  const n = ids.length;
  const timestampMs = ts.done();
  const timeDays = days.done();
  if (cDays < 0 && n > 0) {
    let minDay = Infinity;
    for (let i = 0; i < n; i++) minDay = Math.min(minDay, Math.floor(timestampMs[i] / DAY_MS));
    for (let i = 0; i < n; i++) timeDays[i] = Math.floor(timestampMs[i] / DAY_MS) - minDay;
  }
  const sequence = new Float64Array(n);
  let numeric = true;
  for (let i = 0; i < n && numeric; i++) {
    const v = Number(ids[i]);
    if (ids[i].trim() === "" || !Number.isFinite(v)) numeric = false;
    else sequence[i] = v;
  }
  if (!numeric) for (let i = 0; i < n; i++) sequence[i] = i;

  return {
    length: n,
    transactionId: ids,
    sequence,
    timestampMs,
    customer: customer.done(),
    customerIds,
    terminal: terminal.done(),
    terminalIds,
    amount: amount.done(),
    fraud: fraud.done(),
    timeDays,
    scenario: scenario.done(),
  };
}

/** A streaming CSV writer that respects back-pressure. */
export class CsvWriter {
  private readonly out: ReturnType<typeof createWriteStream>;
  private buf: string[] = [];
  private size = 0;

  constructor(path: string, header: readonly string[]) {
    mkdirSync(dirname(path), { recursive: true });
    this.out = createWriteStream(path);
    this.buf.push(header.join(",") + "\n");
  }

  /** Queues one line (fields already formatted); flush with `maybeFlush` / `close`. */
  row(fields: string): void {
    this.buf.push(fields + "\n");
    this.size++;
  }

  async maybeFlush(): Promise<void> {
    if (this.size < 20_000) return;
    await this.flush();
  }

  private async flush(): Promise<void> {
    const text = this.buf.join("");
    this.buf = [];
    this.size = 0;
    if (!this.out.write(text)) await once(this.out, "drain");
  }

  async close(): Promise<void> {
    await this.flush();
    this.out.end();
    await once(this.out, "finish");
  }
}

/** Writes simulated transactions in the raw schema; `filter` keeps a subset of rows. */
export async function writeTransactionsCsv(
  path: string,
  tx: SimulatedTransactions,
  options: { filter?: (row: number) => boolean; onProgress?: (rows: number) => void } = {},
): Promise<number> {
  const w = new CsvWriter(path, RAW_COLUMNS);
  let dayCache = -1;
  let datePart = "";
  let written = 0;
  for (let i = 0; i < tx.length; i++) {
    if (options.filter && !options.filter(i)) continue;
    const secs = tx.timeSeconds[i];
    const day = Math.floor(secs / 86400);
    if (day !== dayCache) {
      dayCache = day;
      datePart = formatUtcDateTime(tx.startMs + day * DAY_MS).slice(0, 10);
    }
    const r = secs - day * 86400;
    const hh = Math.floor(r / 3600);
    const mm = Math.floor((r % 3600) / 60);
    const ss = r % 60;
    const time = `${hh < 10 ? "0" : ""}${hh}:${mm < 10 ? "0" : ""}${mm}:${ss < 10 ? "0" : ""}${ss}`;
    w.row(
      `${i},${datePart} ${time},${tx.customerId[i]},${tx.terminalId[i]},${tx.amount[i]},${secs},${tx.timeDays[i]},${tx.fraud[i]},${tx.scenario[i]}`,
    );
    written++;
    if (written % 20_000 === 0) {
      await w.maybeFlush();
      if (options.onProgress && written % 500_000 === 0) options.onProgress(written);
    }
  }
  await w.close();
  return written;
}
