/**
 * The handbook's train/test protocol (`get_train_test_set`, chapter 3 "BaselineModeling"):
 * training = `delta_train` days of TX_DATETIME from the start date; after a `delta_delay` gap, each
 * of `delta_test` test days keeps only the customers not yet known to be compromised (frauds of the
 * training set, plus frauds of day `start + delta_train + day - 1` for test day `day`, cumulatively).
 */
import { parseUtcDateTime } from "./csv";

export const HANDBOOK_TRAIN_START = "2018-07-25";
export const DELTA_TRAIN = 7;
export const DELTA_DELAY = 7;
export const DELTA_TEST = 7;
const DAY_MS = 86_400_000;

export interface ProtocolTable {
  length: number;
  timestampMs: ArrayLike<number>;
  timeDays: ArrayLike<number>;
  customer: ArrayLike<number>;
  fraud: ArrayLike<number>;
  sequence: ArrayLike<number>;
}

export interface TrainTestSplit {
  /** Row indexes, ascending by TRANSACTION_ID (sequence). */
  train: Int32Array;
  test: Int32Array;
}

function sortBySequence(rows: number[], seq: ArrayLike<number>): Int32Array {
  const out = Int32Array.from(rows);
  out.sort((a, b) => seq[a] - seq[b] || a - b);
  return out;
}

/** `get_train_test_set(transactions_df, start_date_training, delta_train, delta_delay, delta_test)`. */
export function getTrainTestSet(
  t: ProtocolTable,
  startDate: string,
  deltaTrain = DELTA_TRAIN,
  deltaDelay = DELTA_DELAY,
  deltaTest = DELTA_TEST,
): TrainTestSplit {
  const start = parseUtcDateTime(startDate);
  if (Number.isNaN(start)) throw new Error(`invalid start date ${startDate}`);
  const end = start + deltaTrain * DAY_MS;
  const train: number[] = [];
  const known = new Set<number>();
  let startDay = Infinity;
  const rowsByDay = new Map<number, number[]>();
  for (let i = 0; i < t.length; i++) {
    const ts = t.timestampMs[i];
    if (ts >= start && ts < end) {
      train.push(i);
      if (t.fraud[i]) known.add(t.customer[i]);
      if (t.timeDays[i] < startDay) startDay = t.timeDays[i];
    }
    const d = t.timeDays[i];
    let list = rowsByDay.get(d);
    if (!list) rowsByDay.set(d, (list = []));
    list.push(i);
  }
  const test: number[] = [];
  if (train.length > 0) {
    for (let day = 0; day < deltaTest; day++) {
      const testDay = startDay + deltaTrain + deltaDelay + day;
      const delayDay = startDay + deltaTrain + day - 1;
      for (const i of rowsByDay.get(delayDay) ?? []) if (t.fraud[i]) known.add(t.customer[i]);
      for (const i of rowsByDay.get(testDay) ?? []) if (!known.has(t.customer[i])) test.push(i);
    }
  }
  return { train: sortBySequence(train, t.sequence), test: sortBySequence(test, t.sequence) };
}

/** Shifts an ISO date by whole days. */
export function addDays(isoDate: string, days: number): string {
  const ms = parseUtcDateTime(isoDate);
  return new Date(ms + days * DAY_MS).toISOString().slice(0, 10);
}
