import type { Id } from "../../_generated/dataModel";
import type { MutationCtx } from "../../_generated/server";
import { statsFromRows, toCents, type TerminalWindowStats } from "../../ml/statistics";
import { dayIndex } from "../../ml/time";
import { dayRange } from "../../ml/windows";
import { customerSide, terminalSide, type HistoryPayment, type HistorySide } from "./sides";

/**
 * Upkeep of the day aggregates (`customerDays`, `terminalDays`), by the same mutations that
 * insert, delete and relabel payments, with the feature module's own statistics functions, so
 * they are always exact.
 */

/** Adds a payment to one side's day aggregate. */
async function addToDay<S, Row extends { timestamp: number }, K extends string>(
  ctx: MutationCtx,
  side: HistorySide<S, Row, K>,
  payment: HistoryPayment,
) {
  const key = side.key(payment);
  const day = dayIndex(payment.timestamp);
  const existing = await side.day(ctx, key, day);
  const stats = side.kind.merge(existing?.stats ?? side.kind.empty(), side.kind.empty());
  await side.writeDay(ctx, key, day, side.kind.add(stats, side.row(payment)));
}

/** Counts a new payment in its customer's and terminal's day aggregates. */
export async function recordInHistory(ctx: MutationCtx, payment: HistoryPayment): Promise<void> {
  await addToDay(ctx, customerSide, payment);
  await addToDay(ctx, terminalSide, payment);
}

/** Terminal statistics minus one payment: every field is a sum, so subtraction is exact. */
function withoutTerminalPayment(
  stats: TerminalWindowStats,
  payment: HistoryPayment,
): TerminalWindowStats {
  const one = terminalSide.kind.add(terminalSide.kind.empty(), terminalSide.row(payment));
  return {
    count: stats.count - one.count,
    frauds: stats.frauds - one.frauds,
    fraudAmountCents: stats.fraudAmountCents - one.fraudAmountCents,
  };
}

/**
 * Updates the aggregates after a payment was deleted (call it after the delete). Sums are
 * subtracted; a customer's daily maximum, which cannot be, is recomputed from the day's
 * remaining payments when the deleted one held it. `customer: false` leaves the customer's
 * aggregates alone (a cascade delete removes them wholesale).
 */
export async function removeFromHistory(
  ctx: MutationCtx,
  payment: HistoryPayment,
  { customer = true }: { customer?: boolean } = {},
): Promise<void> {
  const day = dayIndex(payment.timestamp);
  if (customer) {
    const doc = await customerSide.day(ctx, payment.userId, day);
    if (doc) {
      const cents = toCents(payment.amount);
      const stats = {
        count: doc.stats.count - 1,
        amountCents: doc.stats.amountCents - cents,
        amountCentsSq: doc.stats.amountCentsSq - cents * cents,
        maxAmountCents: doc.stats.maxAmountCents,
      };
      if (stats.count > 0 && cents >= doc.stats.maxAmountCents) {
        const range = dayRange(day);
        const rows = await customerSide.paymentsIn(ctx, payment.userId, range);
        stats.maxAmountCents = statsFromRows(
          customerSide.kind,
          rows.map(customerSide.row),
          range,
        ).maxAmountCents;
      }
      await customerSide.writeDay(ctx, payment.userId, day, stats);
    }
  }
  const terminal = await terminalSide.day(ctx, payment.terminalId, day);
  if (terminal) {
    await terminalSide.writeDay(
      ctx,
      payment.terminalId,
      day,
      withoutTerminalPayment(terminal.stats, payment),
    );
  }
}

/** Updates the terminal's aggregate when a payment's label changes from `before` to `after`. */
export async function relabelInHistory(
  ctx: MutationCtx,
  before: HistoryPayment,
  after: HistoryPayment,
): Promise<void> {
  const day = dayIndex(before.timestamp);
  const terminal = await terminalSide.day(ctx, before.terminalId, day);
  if (!terminal) return;
  const stats = terminalSide.kind.add(
    withoutTerminalPayment(terminal.stats, before),
    terminalSide.row(after),
  );
  await terminalSide.writeDay(ctx, before.terminalId, day, stats);
}

/** Deletes up to `batchSize` of a user's day aggregates; returns how many it deleted. */
export async function deleteCustomerHistory(
  ctx: MutationCtx,
  userId: Id<"users">,
  batchSize: number,
): Promise<number> {
  const days = await ctx.db
    .query("customerDays")
    .withIndex("by_userId_and_day", (q) => q.eq("userId", userId))
    .take(batchSize);
  for (const d of days) await ctx.db.delete("customerDays", d._id);
  return days.length;
}
