/**
 * `npm run data [-- --customers 5000 --terminals 10000 --days 183 --seed 0 --radius 5
 *   --start 2018-04-01 --out data/transactions.csv --sample-out data/sample.csv --sample-customers 10]`
 *
 * Generates the Fraud Detection Handbook's simulated transactions (seed 0 = the handbook's seeds)
 * and writes them in the raw schema. `--sample-out` also writes the rows of the first
 * `--sample-customers` customers (the committed demo sample).
 */
import { DEFAULT_SIMULATOR_OPTIONS, simulate } from "./ml/simulator";
import { writeTransactionsCsv } from "./ml/csv";
import { parseArgs } from "./ml/args";
import { DEFAULT_DATA_PATH } from "./ml/dataset";
import { timedLog } from "./ml/log";

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), {
    customers: String(DEFAULT_SIMULATOR_OPTIONS.customers),
    terminals: String(DEFAULT_SIMULATOR_OPTIONS.terminals),
    days: String(DEFAULT_SIMULATOR_OPTIONS.days),
    seed: String(DEFAULT_SIMULATOR_OPTIONS.seed),
    radius: String(DEFAULT_SIMULATOR_OPTIONS.radius),
    start: DEFAULT_SIMULATOR_OPTIONS.startDate,
    out: DEFAULT_DATA_PATH,
    "sample-out": "",
    "sample-customers": "10",
  });
  const t0 = performance.now();
  const log = timedLog("data");
  const result = simulate({
    customers: args.int("customers"),
    terminals: args.int("terminals"),
    days: args.int("days"),
    seed: args.int("seed"),
    radius: args.number("radius"),
    startDate: args.str("start"),
    onProgress: log,
  });
  const tx = result.transactions;
  let frauds = 0;
  for (let i = 0; i < tx.length; i++) frauds += tx.fraud[i];
  const out = args.str("out");
  await writeTransactionsCsv(out, tx, { onProgress: (r) => log(`wrote ${r} rows`) });
  log(`wrote ${tx.length} transactions to ${out}`);
  const sampleOut = args.str("sample-out");
  if (sampleOut) {
    const k = args.int("sample-customers");
    const rows = await writeTransactionsCsv(sampleOut, tx, {
      filter: (i) => tx.customerId[i] < k,
    });
    log(`wrote ${rows} rows (customers 0..${k - 1}) to ${sampleOut}`);
  }
  const s = result.fraudsByScenario;
  console.log(
    JSON.stringify({
      transactions: tx.length,
      frauds,
      fraudRate: frauds / tx.length,
      fraudsByScenario: s,
      seconds: (performance.now() - t0) / 1000,
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
