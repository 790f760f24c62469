import { useMutation, usePaginatedQuery, useQuery } from "convex/react";
import { useState } from "react";
import { api } from "../../../convex/_generated/api";
import { formatAmount, formatTime, shownDecision, type PaymentView } from "../types";
import { PaymentTable } from "./PaymentTable";

/** One payment: its score, decision and why, both models, the features, and its label. */
export function Payment({ id }: { id: string }) {
  const payment = useQuery(api.transactions.get, { id });
  if (payment === undefined) return <p>Loading…</p>;
  if (payment === null) return <p>No payment {id}.</p>;
  const fraud = payment.fraud;
  return (
    <section>
      <h1>
        Payment {payment.id}{" "}
        <span className={`badge ${shownDecision(payment)}`} data-testid="decision">
          {shownDecision(payment)}
        </span>
      </h1>
      <dl className="facts">
        <dt>Amount</dt>
        <dd>{formatAmount(payment)}</dd>
        <dt>Time</dt>
        <dd>{formatTime(payment.timestamp)}</dd>
        <dt>Customer</dt>
        <dd>
          <a href={`#/customer/${payment.userId}`}>{payment.userId}</a>
        </dd>
        <dt>Terminal</dt>
        <dd>{payment.terminalId}</dd>
        <dt>Status</dt>
        <dd>{payment.status}</dd>
        {fraud && (
          <>
            <dt>Score</dt>
            <dd data-testid="score">{fraud.score.toFixed(1)} / 100</dd>
            <dt>Model decision</dt>
            <dd>{fraud.decision}</dd>
            <dt>Logistic model</dt>
            <dd>{(fraud.models.logistic.probability * 100).toFixed(2)} %</dd>
            <dt>Neural model</dt>
            <dd>{(fraud.models.neural.probability * 100).toFixed(2)} %</dd>
            <dt>Model version</dt>
            <dd>{fraud.modelVersion}</dd>
          </>
        )}
        {payment.review && (
          <>
            <dt>Review</dt>
            <dd>{payment.review.status}</dd>
          </>
        )}
      </dl>
      <Label payment={payment} />
      {fraud && (
        <>
          <h2>Reasons</h2>
          <ul>
            {fraud.reasons.map((r) => (
              <li key={r.feature}>
                {r.text} <code>{r.feature}</code> = {r.value.toFixed(3)} (contribution{" "}
                {r.contribution.toFixed(3)})
              </li>
            ))}
          </ul>
          <h2>Explanation</h2>
          <p data-testid="explanation">{fraud.explanation ?? "Being written…"}</p>
          <h2>Features</h2>
          <table className="features">
            <tbody>
              {Object.entries(fraud.features).map(([name, value]) => (
                <tr key={name}>
                  <td>
                    <code>{name}</code>
                  </td>
                  <td className="num">{value.toFixed(4)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <h2>The customer&apos;s recent payments</h2>
      <Recent payment={payment} />
    </section>
  );
}

function Label({ payment }: { payment: PaymentView }) {
  const label = useMutation(api.transactions.label);
  const [error, setError] = useState<string | null>(null);
  const send = (value: "fraud" | "legitimate") => {
    setError(null);
    label({ id: payment.id, label: value }).catch((e: unknown) => setError(String(e)));
  };
  return (
    <div className="label">
      Label: <strong data-testid="label">{payment.label ?? "none"}</strong>{" "}
      <button type="button" onClick={() => send("fraud")}>
        Mark fraud
      </button>{" "}
      <button type="button" onClick={() => send("legitimate")}>
        Mark legitimate
      </button>
      {error && <p className="error">{error}</p>}
    </div>
  );
}

function Recent({ payment }: { payment: PaymentView }) {
  const { results } = usePaginatedQuery(
    api.transactions.listForUser,
    { userId: payment.userId },
    { initialNumItems: 10 },
  );
  return <PaymentTable payments={results} />;
}
