/** The results table: our models beside the handbook's published rows. */
import type { ModelMetrics } from "./pipeline";

/** Published results on the handbook's simulated data (see shared/fraud-benchmark.md). */
export const HANDBOOK_RESULTS: {
  model: string;
  auc: number;
  ap: number;
  cpAt100: number;
  where: string;
}[] = [
  {
    model: "logistic regression",
    auc: 0.871,
    ap: 0.606,
    cpAt100: 0.291,
    where: "ch. 3, same split",
  },
  { model: "random forest", auc: 0.867, ap: 0.658, cpAt100: 0.287, where: "ch. 3" },
  { model: "XGBoost", auc: 0.862, ap: 0.639, cpAt100: 0.273, where: "ch. 3" },
  {
    model: "feed-forward network (15 -> 1000 -> 1)",
    auc: 0.864,
    ap: 0.653,
    cpAt100: 0.286,
    where: "ch. 7, same split",
  },
  {
    model: "feed-forward network, tuned",
    auc: 0.876,
    ap: 0.675,
    cpAt100: 0.303,
    where: "ch. 7, prequential",
  },
  { model: "XGBoost, tuned", auc: 0.869, ap: 0.687, cpAt100: 0.303, where: "ch. 5, prequential" },
  { model: "random", auc: 0.5, ap: 0.007, cpAt100: 0.017, where: "" },
];

export interface TableRow {
  model: string;
  metrics: ModelMetrics;
  note: string;
}

/** A fixed-width text table, also valid Markdown: the first row is the header. */
export function markdownTable(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => `| ${r.map((v, c) => v.padEnd(widths[c])).join(" | ")} |`;
  return [line(rows[0]), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`]
    .concat(rows.slice(1).map(line))
    .join("\n");
}

/** Our rows, then the handbook's published ones. */
export function formatResultsTable(ours: TableRow[]): string {
  const rows: string[][] = [["model", "AUC ROC", "AP", "CP@100", "source"]];
  for (const r of ours) {
    rows.push([
      r.model,
      r.metrics.auc.toFixed(3),
      r.metrics.ap.toFixed(3),
      r.metrics.cpAt100.toFixed(3),
      r.note,
    ]);
  }
  for (const h of HANDBOOK_RESULTS) {
    rows.push([
      `handbook: ${h.model}`,
      h.auc.toFixed(3),
      h.ap.toFixed(3),
      h.cpAt100.toFixed(3),
      `published, ${h.where}`.replace(/, $/, ""),
    ]);
  }
  return markdownTable(rows);
}
