import { expect, test } from "vitest";
import { renderReport } from "./report";

test("the report renders a full replay's worth of latencies and draws every chart", () => {
  // The default replay window decides ~421,000 payments: more values than a spread call takes.
  const latenciesMs = Array.from({ length: 500_000 }, (_, i) => 1 + (i % 1_800));
  const scores = [0.9, 0.8, 0.3, 0.2, 0.1];
  const labels = [1, 0, 1, 0, 0];
  const html = renderReport({
    title: "Replay <test>",
    summary: { payments: latenciesMs.length },
    scores,
    labels,
    latenciesMs,
    decisionsByDay: [{ day: "2018-08-08", allow: 10, review: 2, block: 1 }],
  });
  expect(html).toContain("Replay &lt;test&gt;");
  expect(html.match(/<svg /g)).toHaveLength(4);
  // The histogram's largest bin edge is the slowest payment.
  expect(html).toContain(">1800</text>");
  expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
});
