import { useMutation, usePaginatedQuery } from "convex/react";
import { useState } from "react";
import { api } from "../../../convex/_generated/api";
import { formatAmount, formatTime, type ReviewView } from "../types";

/** The open reviews, oldest first, with assign / approve / decline. */
export function Queue() {
  const { results, status, loadMore } = usePaginatedQuery(
    api.reviews.queue,
    {},
    { initialNumItems: 25 },
  );
  return (
    <section>
      <h1>Review queue</h1>
      {status === "LoadingFirstPage" ? (
        <p>Loading…</p>
      ) : results.length === 0 ? (
        <p>No open reviews.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Opened</th>
              <th>Payment</th>
              <th className="num">Amount</th>
              <th className="num">Score</th>
              <th>Assignee</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {results.map((r) => (
              <Row key={r.id} review={r} />
            ))}
          </tbody>
        </table>
      )}
      {status === "CanLoadMore" && (
        <button onClick={() => loadMore(25)} type="button">
          Load more
        </button>
      )}
    </section>
  );
}

function Row({ review }: { review: ReviewView }) {
  const assign = useMutation(api.reviews.assign);
  const resolve = useMutation(api.reviews.resolve);
  const [error, setError] = useState<string | null>(null);
  const report = (e: unknown) => setError(String(e));
  return (
    <tr data-review={review.id}>
      <td>{formatTime(review.openedAt)}</td>
      <td>
        <a href={`#/payment/${review.paymentId}`}>{review.paymentId}</a>
      </td>
      <td className="num">{review.payment ? formatAmount(review.payment) : "deleted"}</td>
      <td className="num">{review.payment?.fraud?.score.toFixed(1) ?? "–"}</td>
      <td>{review.assignee ?? "unassigned"}</td>
      <td className="actions">
        <button
          type="button"
          onClick={() => {
            assign({ id: review.id, assignee: "me" }).catch(report);
          }}
        >
          Assign to me
        </button>
        <button
          type="button"
          onClick={() => {
            resolve({ id: review.id, outcome: "approve" }).catch(report);
          }}
        >
          Approve
        </button>
        <button
          type="button"
          onClick={() => {
            resolve({ id: review.id, outcome: "decline" }).catch(report);
          }}
        >
          Decline
        </button>
        {error && <span className="error">{error}</span>}
      </td>
    </tr>
  );
}
