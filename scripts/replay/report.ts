/**
 * A self-contained HTML report of a replay: precision-recall and ROC curves, the latency
 * histogram and the decisions over time, drawn as inline SVG (no scripts, no network).
 */

export type ReportData = {
  title: string;
  summary: Record<string, string | number>;
  /** Scores and labels of the evaluated payments (the handbook's test set). */
  scores: number[];
  labels: number[];
  latenciesMs: number[];
  /** Per UTC day: how many payments got each decision. */
  decisionsByDay: { day: string; allow: number; review: number; block: number }[];
};

const W = 420;
const H = 300;
const M = { left: 48, right: 12, top: 12, bottom: 36 };

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function frame(xLabel: string, yLabel: string, body: string, xTicks: string, yTicks: string) {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">
<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#999"/>
${xTicks}${yTicks}${body}
<text x="${(W + M.left) / 2}" y="${H - 4}" text-anchor="middle">${esc(xLabel)}</text>
<text x="12" y="${(H - M.bottom) / 2}" text-anchor="middle" transform="rotate(-90 12 ${(H - M.bottom) / 2})">${esc(yLabel)}</text>
</svg>`;
}

const px = (x: number) => M.left + x * (W - M.left - M.right);
const py = (y: number) => H - M.bottom - y * (H - M.top - M.bottom);

function unitTicks(): { x: string; y: string } {
  let x = "";
  let y = "";
  for (let i = 0; i <= 5; i++) {
    const v = i / 5;
    x += `<text x="${px(v)}" y="${H - M.bottom + 14}" text-anchor="middle">${v.toFixed(1)}</text>`;
    y += `<text x="${M.left - 4}" y="${py(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`;
  }
  return { x, y };
}

function polyline(points: [number, number][], color: string) {
  const d = points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" ");
  return `<polyline points="${d}" fill="none" stroke="${color}" stroke-width="1.6"/>`;
}

/** At most ~600 points: enough to draw, small enough to embed. */
function thin<T>(points: T[]): T[] {
  const step = Math.max(1, Math.floor(points.length / 600));
  return points.filter((_, i) => i % step === 0 || i === points.length - 1);
}

function curves(scores: number[], labels: number[]) {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const positives = labels.reduce((s, l) => s + (l ? 1 : 0), 0);
  const negatives = labels.length - positives;
  const pr: [number, number][] = [];
  const roc: [number, number][] = [[0, 0]];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    if (labels[order[k]]) tp++;
    else fp++;
    const last = k + 1 === order.length || scores[order[k + 1]] !== scores[order[k]];
    if (!last) continue;
    pr.push([positives ? tp / positives : 0, tp / (tp + fp)]);
    roc.push([negatives ? fp / negatives : 0, positives ? tp / positives : 0]);
  }
  return { pr: thin(pr), roc: thin(roc) };
}

function histogram(values: number[]) {
  if (values.length === 0) return frame("decision latency (ms)", "payments", "", "", "");
  // Log-spaced bins from 1 ms to the maximum. A loop, not Math.max(...values): a replay has
  // hundreds of thousands of latencies, more arguments than the call stack takes.
  const max = values.reduce((m, v) => (v > m ? v : m), 2);
  const bins = 30;
  const edges = Array.from({ length: bins + 1 }, (_, i) => Math.pow(max, i / bins));
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    const b = Math.min(
      bins - 1,
      Math.max(0, Math.floor((Math.log(Math.max(v, 1)) / Math.log(max)) * bins)),
    );
    counts[b]++;
  }
  const top = Math.max(...counts);
  const barW = (W - M.left - M.right) / bins;
  let body = "";
  counts.forEach((c, i) => {
    const h = (c / top) * (H - M.top - M.bottom);
    body += `<rect x="${(M.left + i * barW).toFixed(1)}" y="${(H - M.bottom - h).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="#4a7bd0"/>`;
  });
  let xTicks = "";
  for (let i = 0; i <= bins; i += 6) {
    xTicks += `<text x="${(M.left + i * barW).toFixed(1)}" y="${H - M.bottom + 14}" text-anchor="middle">${edges[i] < 10 ? edges[i].toFixed(1) : Math.round(edges[i])}</text>`;
  }
  const yTicks = `<text x="${M.left - 4}" y="${M.top + 8}" text-anchor="end">${top}</text><text x="${M.left - 4}" y="${H - M.bottom}" text-anchor="end">0</text>`;
  return frame("decision latency (ms, log scale)", "payments", body, xTicks, yTicks);
}

function decisionsChart(rows: ReportData["decisionsByDay"]) {
  if (rows.length === 0) return frame("day", "payments", "", "", "");
  const kinds = [
    ["allow", "#8fbf7f"],
    ["review", "#e8b04a"],
    ["block", "#d0524a"],
  ] as const;
  const top = Math.max(...rows.map((r) => r.allow + r.review + r.block));
  const barW = (W - M.left - M.right) / rows.length;
  let body = "";
  rows.forEach((r, i) => {
    let y = H - M.bottom;
    for (const [kind, color] of kinds) {
      const h = (r[kind] / top) * (H - M.top - M.bottom);
      y -= h;
      body += `<rect x="${(M.left + i * barW).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, barW - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${color}"><title>${esc(r.day)} ${kind}: ${r[kind]}</title></rect>`;
    }
  });
  const every = Math.max(1, Math.ceil(rows.length / 6));
  let xTicks = "";
  rows.forEach((r, i) => {
    if (i % every === 0) {
      xTicks += `<text x="${(M.left + (i + 0.5) * barW).toFixed(1)}" y="${H - M.bottom + 14}" text-anchor="middle">${esc(r.day.slice(5))}</text>`;
    }
  });
  const yTicks = `<text x="${M.left - 4}" y="${M.top + 8}" text-anchor="end">${top}</text>`;
  const legend = kinds
    .map(
      ([k, c], i) =>
        `<rect x="${M.left + 8 + i * 70}" y="${M.top + 6}" width="10" height="10" fill="${c}"/><text x="${M.left + 22 + i * 70}" y="${M.top + 15}">${k}</text>`,
    )
    .join("");
  return frame("day (UTC)", "payments per day", body + legend, xTicks, yTicks);
}

/** The report page. */
export function renderReport(data: ReportData): string {
  const { pr, roc } = curves(data.scores, data.labels);
  const ticks = unitTicks();
  const prSvg = frame("recall", "precision", polyline(pr, "#d0524a"), ticks.x, ticks.y);
  const rocSvg = frame(
    "false positive rate",
    "true positive rate",
    polyline(
      [
        [0, 0],
        [1, 1],
      ],
      "#ccc",
    ) + polyline(roc, "#4a7bd0"),
    ticks.x,
    ticks.y,
  );
  const rows = Object.entries(data.summary)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`)
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(data.title)}</title>
<style>body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin-bottom:16px}th,td{text-align:left;padding:3px 10px;border-bottom:1px solid #eee}figure{display:inline-block;margin:8px}figcaption{font-weight:bold;margin-bottom:4px}</style>
</head><body>
<h1>${esc(data.title)}</h1>
<table>${rows}</table>
<figure><figcaption>Precision-recall (online, handbook test set)</figcaption>${prSvg}</figure>
<figure><figcaption>ROC (online, handbook test set)</figcaption>${rocSvg}</figure>
<figure><figcaption>Time from POST to decision</figcaption>${histogram(data.latenciesMs)}</figure>
<figure><figcaption>Decisions over time</figcaption>${decisionsChart(data.decisionsByDay)}</figure>
</body></html>
`;
}
