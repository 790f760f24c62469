/** Loading (or generating) the transactions CSV and computing its feature matrix, with timings. */
import { existsSync } from "node:fs";
import { computeFeatureMatrix } from "../../convex/ml/batch";
import { FEATURE_COUNT, HANDBOOK_FEATURES } from "../../convex/ml/features";
import { CsvWriter, readTransactionsCsv, writeTransactionsCsv } from "./csv";
import type { Dataset } from "./pipeline";
import { simulate } from "./simulator";

export const DEFAULT_DATA_PATH = "data/transactions.csv";

type Log = (message: string) => void;

/**
 * The data a script reads: the `--data` path when given, else the simulator's default dataset at
 * {@link DEFAULT_DATA_PATH}, generated first when it does not exist yet.
 */
export async function resolveDataPath(given: string, log: Log): Promise<string> {
  if (given) return given;
  await ensureDefaultDataset(DEFAULT_DATA_PATH, log);
  return DEFAULT_DATA_PATH;
}

/** Generates the simulator's default dataset at `path` unless it already exists. */
async function ensureDefaultDataset(path: string, log: Log): Promise<void> {
  if (existsSync(path)) {
    log(`reusing ${path}`);
    return;
  }
  log(`${path} not found: generating the simulator's default dataset (seed 0)`);
  const result = simulate({ onProgress: log });
  await writeTransactionsCsv(path, result.transactions);
  log(`wrote ${result.transactions.length} transactions to ${path}`);
}

/** Reads the CSV and computes every feature; returns the dataset and the seconds of each step. */
export async function loadDataset(
  path: string,
  log: Log,
): Promise<{ data: Dataset; readSeconds: number; featureSeconds: number }> {
  let t0 = performance.now();
  const table = await readTransactionsCsv(path, (rows) => log(`read ${rows} rows`));
  const readSeconds = (performance.now() - t0) / 1000;
  log(`read ${table.length} rows from ${path} in ${readSeconds.toFixed(1)}s`);
  t0 = performance.now();
  const features = computeFeatureMatrix(table);
  const featureSeconds = (performance.now() - t0) / 1000;
  log(
    `computed ${FEATURE_COUNT} features for ${table.length} rows in ${featureSeconds.toFixed(2)}s`,
  );
  return { data: { table, features }, readSeconds, featureSeconds };
}

/** Writes TRANSACTION_ID plus the 15 handbook features (handbook column names) for every row. */
export async function writeHandbookFeatures(path: string, data: Dataset): Promise<void> {
  const w = new CsvWriter(path, ["TRANSACTION_ID", ...HANDBOOK_FEATURES]);
  const n = data.table.length;
  const k = HANDBOOK_FEATURES.length;
  for (let i = 0; i < n; i++) {
    let line = data.table.transactionId[i];
    const base = i * FEATURE_COUNT;
    for (let j = 0; j < k; j++) line += "," + String(data.features[base + j]);
    w.row(line);
    if (i % 20_000 === 0) await w.maybeFlush();
  }
  await w.close();
}
