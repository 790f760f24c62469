/**
 * The Fraud Detection Handbook's transaction simulator (chapter 3, "SimulatedDataset"), ported
 * draw for draw: same profiles, radius, Poisson counts, time-of-day and amount laws, the three fraud
 * scenarios with their parameters and precedence, and the same random generators seeded the same
 * way (numpy's legacy RandomState and CPython's `random`), so seed 0 regenerates the handbook's data.
 *
 * One documented difference: the handbook numbers transactions after `sort_values('TX_DATETIME')`,
 * numpy's unstable quicksort, so transactions that share a second may be numbered in another order
 * there; here ties keep generation order (customer id, then draw order). Scenario 3 samples from each
 * compromised customer's transactions in id order, so this only matters when two of them share a second.
 */
import { NumpyRandomState, PythonRandom } from "./rng";

export interface SimulatorOptions {
  customers: number;
  terminals: number;
  days: number;
  /** 0 reproduces the handbook's seeds; any other value derives new, independent streams. */
  seed: number;
  /** ISO date (UTC midnight) of day 0. */
  startDate: string;
  radius: number;
  onProgress?: (message: string) => void;
}

export const DEFAULT_SIMULATOR_OPTIONS: SimulatorOptions = {
  customers: 5000,
  terminals: 10000,
  days: 183,
  seed: 0,
  startDate: "2018-04-01",
  radius: 5,
};

/** Fraud scenario parameters (handbook `add_frauds`). */
export const SCENARIOS = {
  amountThreshold: 220,
  terminalsPerDay: 2,
  terminalCompromiseDays: 28,
  customersPerDay: 3,
  customerCompromiseDays: 14,
  /** `int(n / 3)` of the compromised customers' transactions become fraud. */
  customerFraudDivisor: 3,
  customerAmountFactor: 5,
} as const;

export interface CustomerProfile {
  x: number;
  y: number;
  meanAmount: number;
  stdAmount: number;
  meanNbTxPerDay: number;
  terminals: number[];
}

/** The labelled transactions, one entry per row, ordered by TRANSACTION_ID (= time order). */
export interface SimulatedTransactions {
  length: number;
  startMs: number;
  customerId: Int32Array;
  terminalId: Int32Array;
  amount: Float64Array;
  timeSeconds: Int32Array;
  timeDays: Int32Array;
  fraud: Uint8Array;
  scenario: Uint8Array;
}

export interface SimulationResult {
  customers: CustomerProfile[];
  terminals: { x: number; y: number }[];
  transactions: SimulatedTransactions;
  fraudsByScenario: { scenario1: number; scenario2: number; scenario3: number };
}

/** Seeds: with seed 0 they are the handbook's (profiles 0 and 1, customer id, day). */
export function derivedSeeds(seed: number) {
  const s = seed >>> 0;
  return {
    customerProfiles: Math.imul(s, 0x27d4eb2f) >>> 0,
    terminalProfiles: (Math.imul(s, 0xc2b2ae3d) + 1) >>> 0,
    customer: (id: number) => (Math.imul(s, 0x9e3779b1) + id) >>> 0,
    day: (day: number) => (Math.imul(s, 0x85ebca77) + day) >>> 0,
  };
}

/** `generate_customer_profiles_table`. */
export function generateCustomerProfiles(n: number, seed: number): CustomerProfile[] {
  const rs = new NumpyRandomState(seed);
  const out: CustomerProfile[] = [];
  for (let i = 0; i < n; i++) {
    const x = rs.uniform(0, 100);
    const y = rs.uniform(0, 100);
    const meanAmount = rs.uniform(5, 100);
    const stdAmount = meanAmount / 2;
    const meanNbTxPerDay = rs.uniform(0, 4);
    out.push({ x, y, meanAmount, stdAmount, meanNbTxPerDay, terminals: [] });
  }
  return out;
}

/** `generate_terminal_profiles_table`. */
export function generateTerminalProfiles(n: number, seed: number): { x: number; y: number }[] {
  const rs = new NumpyRandomState(seed);
  const out: { x: number; y: number }[] = [];
  for (let i = 0; i < n; i++) {
    const x = rs.uniform(0, 100);
    const y = rs.uniform(0, 100);
    out.push({ x, y });
  }
  return out;
}

/** `get_list_terminals_within_radius`: terminal indexes at Euclidean distance < r, ascending. */
export function terminalsWithinRadius(
  customer: { x: number; y: number },
  terminals: readonly { x: number; y: number }[],
  r: number,
): number[] {
  const out: number[] = [];
  for (let t = 0; t < terminals.length; t++) {
    const dx = customer.x - terminals[t].x;
    const dy = customer.y - terminals[t].y;
    if (Math.sqrt(dx * dx + dy * dy) < r) out.push(t);
  }
  return out;
}

/** numpy's `round(x, 2)`: `rint(x * 100) / 100` with round-half-to-even. */
export function roundCents(x: number): number {
  const y = x * 100;
  let r = Math.round(y);
  if (r - y === 0.5 && r % 2 !== 0) r -= 1;
  return r / 100;
}

export interface RawTransaction {
  timeSeconds: number;
  day: number;
  customerId: number;
  terminalId: number;
  amount: number;
}

/** `generate_transactions_table` for one customer, in the handbook's draw order. */
export function generateCustomerTransactions(
  customerId: number,
  profile: CustomerProfile,
  days: number,
  seed: number,
  out: RawTransaction[] = [],
): RawTransaction[] {
  const py = new PythonRandom(seed);
  const np = new NumpyRandomState(seed);
  for (let day = 0; day < days; day++) {
    const nbTx = np.poisson(profile.meanNbTxPerDay);
    for (let tx = 0; tx < nbTx; tx++) {
      const timeTx = Math.trunc(np.normal(86400 / 2, 20000));
      if (timeTx > 0 && timeTx < 86400) {
        let amount = np.normal(profile.meanAmount, profile.stdAmount);
        if (amount < 0) amount = np.uniform(0, profile.meanAmount * 2);
        amount = roundCents(amount);
        if (profile.terminals.length > 0) {
          const terminalId = py.choice(profile.terminals);
          out.push({ timeSeconds: timeTx + day * 86400, day, customerId, terminalId, amount });
        }
      }
    }
  }
  return out;
}

/** Row indexes grouped by a key (CSR), each group in ascending row order. */
function groupRows(keys: Int32Array, nKeys: number): { start: Int32Array; rows: Int32Array } {
  const start = new Int32Array(nKeys + 1);
  for (let i = 0; i < keys.length; i++) start[keys[i] + 1]++;
  for (let k = 0; k < nKeys; k++) start[k + 1] += start[k];
  const fill = start.slice(0, nKeys);
  const rows = new Int32Array(keys.length);
  for (let i = 0; i < keys.length; i++) rows[fill[keys[i]]++] = i;
  return { start, rows };
}

/** Runs the whole simulation: profiles, transactions, chronological numbering, fraud scenarios. */
export function simulate(opts: Partial<SimulatorOptions> = {}): SimulationResult {
  const o: SimulatorOptions = { ...DEFAULT_SIMULATOR_OPTIONS, ...opts };
  const progress = o.onProgress ?? (() => {});
  const seeds = derivedSeeds(o.seed);
  const startMs = Date.parse(`${o.startDate}T00:00:00Z`);
  if (Number.isNaN(startMs)) throw new Error(`invalid start date ${o.startDate}`);

  const customers = generateCustomerProfiles(o.customers, seeds.customerProfiles);
  const terminals = generateTerminalProfiles(o.terminals, seeds.terminalProfiles);
  for (const c of customers) c.terminals = terminalsWithinRadius(c, terminals, o.radius);
  progress(`profiles: ${o.customers} customers, ${o.terminals} terminals`);

  const raw: RawTransaction[] = [];
  const step = Math.max(1, Math.floor(o.customers / 10));
  for (let c = 0; c < customers.length; c++) {
    generateCustomerTransactions(c, customers[c], o.days, seeds.customer(c), raw);
    if ((c + 1) % step === 0 || c + 1 === customers.length) {
      progress(`transactions: ${c + 1}/${o.customers} customers, ${raw.length} rows`);
    }
  }

  // Chronological order (stable: ties keep generation order), TRANSACTION_ID = position.
  const n = raw.length;
  const maxSecond = o.days * 86400;
  const counts = new Int32Array(maxSecond + 1);
  for (const r of raw) counts[r.timeSeconds + 1]++;
  for (let s = 0; s < maxSecond; s++) counts[s + 1] += counts[s];
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[counts[raw[i].timeSeconds]++] = i;

  const tx: SimulatedTransactions = {
    length: n,
    startMs,
    customerId: new Int32Array(n),
    terminalId: new Int32Array(n),
    amount: new Float64Array(n),
    timeSeconds: new Int32Array(n),
    timeDays: new Int32Array(n),
    fraud: new Uint8Array(n),
    scenario: new Uint8Array(n),
  };
  let maxDay = 0;
  for (let i = 0; i < n; i++) {
    const r = raw[order[i]];
    tx.customerId[i] = r.customerId;
    tx.terminalId[i] = r.terminalId;
    tx.amount[i] = r.amount;
    tx.timeSeconds[i] = r.timeSeconds;
    tx.timeDays[i] = r.day;
    if (r.day > maxDay) maxDay = r.day;
  }
  raw.length = 0;

  // Scenario 1: every amount > 220 is fraud.
  let s1 = 0;
  for (let i = 0; i < n; i++) {
    if (tx.amount[i] > SCENARIOS.amountThreshold) {
      tx.fraud[i] = 1;
      tx.scenario[i] = 1;
      s1++;
    }
  }
  progress(`scenario 1: ${s1} frauds`);

  // Scenario 2: each day (0 .. max day - 1, as `range(TX_TIME_DAYS.max())`), 2 terminals drawn by
  // `TERMINAL_ID.sample(n=2, random_state=day)`; all their transactions in [day, day + 28) are fraud.
  const byTerminal = groupRows(tx.terminalId, o.terminals);
  for (let day = 0; day < maxDay; day++) {
    const drawn = new NumpyRandomState(seeds.day(day)).choiceWithoutReplacement(
      o.terminals,
      SCENARIOS.terminalsPerDay,
    );
    for (const t of drawn) {
      for (let k = byTerminal.start[t]; k < byTerminal.start[t + 1]; k++) {
        const i = byTerminal.rows[k];
        const d = tx.timeDays[i];
        if (d >= day && d < day + SCENARIOS.terminalCompromiseDays) {
          tx.fraud[i] = 1;
          tx.scenario[i] = 2;
        }
      }
    }
  }
  let total2 = 0;
  for (let i = 0; i < n; i++) total2 += tx.fraud[i];
  const s2 = total2 - s1;
  progress(`scenario 2: ${s2} frauds`);

  // Scenario 3: each day, 3 customers drawn by `CUSTOMER_ID.sample(n=3, random_state=day)`; of their
  // transactions in [day, day + 14) (in TRANSACTION_ID order), `random.seed(day)` then
  // `random.sample(..., k=int(n/3))` picks the ones whose amount is multiplied by 5 and that become fraud.
  const byCustomer = groupRows(tx.customerId, o.customers);
  for (let day = 0; day < maxDay; day++) {
    const drawn = new NumpyRandomState(seeds.day(day)).choiceWithoutReplacement(
      o.customers,
      SCENARIOS.customersPerDay,
    );
    const compromised: number[] = [];
    for (const c of drawn) {
      for (let k = byCustomer.start[c]; k < byCustomer.start[c + 1]; k++) {
        const i = byCustomer.rows[k];
        const d = tx.timeDays[i];
        if (d >= day && d < day + SCENARIOS.customerCompromiseDays) compromised.push(i);
      }
    }
    compromised.sort((a, b) => a - b);
    const k = Math.trunc(compromised.length / SCENARIOS.customerFraudDivisor);
    const picked = new PythonRandom(seeds.day(day)).sample(compromised, k);
    for (const i of picked) {
      tx.amount[i] = tx.amount[i] * SCENARIOS.customerAmountFactor;
      tx.fraud[i] = 1;
      tx.scenario[i] = 3;
    }
  }
  let total3 = 0;
  for (let i = 0; i < n; i++) total3 += tx.fraud[i];
  const s3 = total3 - total2;
  progress(`scenario 3: ${s3} frauds; ${total3} frauds in ${n} transactions`);

  return {
    customers,
    terminals,
    transactions: tx,
    fraudsByScenario: { scenario1: s1, scenario2: s2, scenario3: s3 },
  };
}
