import type { Doc } from "../../_generated/dataModel";
import type { MutationCtx } from "../../_generated/server";
import { membershipLookup } from "../lists/lists";
import { ruleInputOf } from "./apply";
import {
  bindingsOf,
  compileExpression,
  decideWithRules,
  memoizedLookup,
  runExpression,
} from "./evaluate";
import { checkRuleExpression } from "./rules";
import {
  BACKTEST_PAGE_SIZE,
  BACKTEST_SAMPLES,
  type BacktestView,
  type NewBacktest,
} from "./validators";

/**
 * Backtests: a candidate expression evaluated on stored scored payments of a time window, with
 * the features, score and probability stored with each payment at decision time (exactly what
 * the rule would have seen), in pages of {@link BACKTEST_PAGE_SIZE} payments, one mutation per
 * page, so a window of millions of payments never needs one oversized transaction. Lists and
 * users are read as they are now.
 */

/** Records a backtest after checking its expression as a rule would be checked. */
export async function startBacktest(
  ctx: MutationCtx,
  input: NewBacktest,
  pageSize = BACKTEST_PAGE_SIZE,
): Promise<Doc<"backtests">> {
  await checkRuleExpression(ctx, input.expression, true);
  const id = await ctx.db.insert("backtests", {
    ...input,
    status: "running",
    scanned: 0,
    matched: 0,
    matchedByLabel: { fraud: 0, legitimate: 0, unlabeled: 0 },
    labelledFraud: 0,
    decisionChanges: {},
    errors: 0,
    sampleIds: [],
    cursor: null,
    lastTimestamp: null,
    pageSize,
    createdAt: Date.now(),
    finishedAt: null,
  });
  return (await ctx.db.get("backtests", id))!;
}

/**
 * One page of a running backtest: reads up to `pageSize` scored payments of the window (index
 * `by_timestamp_and_paymentId`, resuming at the stored cursor), evaluates the expression on
 * each and adds to the counts. Returns whether the scan is complete.
 */
export async function backtestStep(ctx: MutationCtx, doc: Doc<"backtests">): Promise<boolean> {
  if (doc.status !== "running") return true;
  const page = await ctx.db
    .query("transactions")
    .withIndex("by_timestamp_and_paymentId", (q) =>
      q.gte("timestamp", doc.from).lt("timestamp", doc.to),
    )
    .paginate({ numItems: doc.pageSize, cursor: doc.cursor });
  const compiled = compileExpression(doc.expression);
  const now = Date.now();
  const lookup = memoizedLookup(membershipLookup(ctx, now));
  const counts = {
    scanned: doc.scanned,
    matched: doc.matched,
    matchedByLabel: { ...doc.matchedByLabel },
    labelledFraud: doc.labelledFraud,
    decisionChanges: { ...doc.decisionChanges },
    errors: doc.errors,
    sampleIds: [...doc.sampleIds],
  };
  for (const payment of page.page) {
    counts.scanned += 1;
    if (payment.label === "fraud") counts.labelledFraud += 1;
    const bindings = bindingsOf(await ruleInputOf(ctx, payment, payment.fraud, compiled.usesUser));
    const result = await runExpression(compiled, bindings, lookup);
    if (result.kind === "error") counts.errors += 1;
    if (result.kind !== "match") continue;
    counts.matched += 1;
    counts.matchedByLabel[payment.label ?? "unlabeled"] += 1;
    if (counts.sampleIds.length < BACKTEST_SAMPLES) counts.sampleIds.push(payment.paymentId);
    // The decision had the candidate been one more active rule when the payment was scored.
    const stored = payment.fraud.decision;
    const decided = decideWithRules(payment.fraud.modelDecision ?? stored, [
      ...(payment.fraud.rules?.matched ?? []),
      { action: doc.action },
    ]).decision;
    if (decided !== stored) {
      const key = `${stored}->${decided}`;
      counts.decisionChanges[key] = (counts.decisionChanges[key] ?? 0) + 1;
    }
  }
  const last = page.page[page.page.length - 1];
  await ctx.db.patch("backtests", doc._id, {
    ...counts,
    cursor: page.continueCursor,
    lastTimestamp: last ? last.timestamp : doc.lastTimestamp,
    ...(page.isDone ? { status: "done" as const, finishedAt: Date.now() } : {}),
  });
  return page.isDone;
}

const ratio = (num: number, den: number) => (den === 0 ? null : num / den);

export function toBacktestView(doc: Doc<"backtests">): BacktestView {
  const done = doc.status === "done";
  const span = Math.max(1, doc.to - doc.from);
  const fraction = done
    ? 1
    : doc.lastTimestamp === null
      ? 0
      : Math.min(1, Math.max(0, (doc.lastTimestamp - doc.from) / span));
  const { fraud, legitimate } = doc.matchedByLabel;
  return {
    id: doc._id,
    expression: doc.expression,
    action: doc.action,
    from: doc.from,
    to: doc.to,
    status: doc.status,
    progress: { scanned: doc.scanned, fraction },
    result: done
      ? {
          scanned: doc.scanned,
          matched: doc.matched,
          matchedByLabel: doc.matchedByLabel,
          labelledFraud: doc.labelledFraud,
          decisionChanges: doc.decisionChanges,
          errors: doc.errors,
          sampleIds: doc.sampleIds,
          precision: ratio(fraud, fraud + legitimate),
          recall: ratio(fraud, doc.labelledFraud),
        }
      : null,
    createdAt: doc.createdAt,
    finishedAt: doc.finishedAt,
  };
}
