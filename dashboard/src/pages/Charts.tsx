import * as Plot from "@observablehq/plot";
import { useQuery } from "convex/react";
import { useEffect, useRef } from "react";
import { api } from "../../../convex/_generated/api";
import { shownDecision } from "../types";

/** How many recent payments the charts summarise (one page of the feed). */
const SAMPLE = 500;
/** Fixed bins of 5 points, so that a few payments with close scores still show as bars. */
const SCORE_BINS = Array.from({ length: 21 }, (_, i) => i * 5);

/** Decisions over time and the score distribution of the latest payments, live. */
export function Charts() {
  const feed = useQuery(api.transactions.feed, {
    paginationOpts: { numItems: SAMPLE, cursor: null },
  });
  if (feed === undefined) return <p>Loading…</p>;
  const rows = feed.page.map((p) => ({
    time: new Date(p.timestamp),
    decision: shownDecision(p),
    score: p.fraud?.score ?? null,
  }));
  const scored = rows.filter((r) => r.score !== null);
  return (
    <section>
      <h1>Charts</h1>
      <p className="muted">The latest {rows.length} payments.</p>
      <h2>Decisions over time</h2>
      <Chart
        render={() =>
          Plot.plot({
            width: 900,
            height: 280,
            color: {
              legend: true,
              domain: ["allow", "review", "block", "pending", "failed"],
              range: ["#2e7d32", "#f9a825", "#c62828", "#9e9e9e", "#6d4c41"],
            },
            y: { label: "payments", grid: true },
            marks: [
              Plot.rectY(
                rows,
                Plot.binX<Plot.RectYOptions>(
                  { y: "count" },
                  { x: "time", fill: "decision", thresholds: 30 },
                ),
              ),
              Plot.ruleY([0]),
            ],
          })
        }
        deps={[rows]}
      />
      <h2>Score distribution</h2>
      <Chart
        render={() =>
          Plot.plot({
            width: 900,
            height: 240,
            x: { label: "score", domain: [0, 100] },
            y: { label: "payments", grid: true },
            marks: [
              Plot.rectY(
                scored,
                Plot.binX<Plot.RectYOptions>(
                  { y: "count" },
                  { x: "score", thresholds: SCORE_BINS, fill: "#1565c0" },
                ),
              ),
              Plot.ruleY([0]),
            ],
          })
        }
        deps={[scored]}
      />
    </section>
  );
}

function Chart({ render, deps }: { render: () => HTMLElement | SVGSVGElement; deps: unknown[] }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const node = render();
    ref.current?.replaceChildren(node);
    return () => node.remove();
  }, deps);
  return <div className="chart" ref={ref} />;
}
