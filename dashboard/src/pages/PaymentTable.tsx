import { formatAmount, formatTime, shownDecision, type PaymentView } from "../types";

/** Payments as rows; each links to its page. */
export function PaymentTable({ payments }: { payments: PaymentView[] }) {
  return (
    <table>
      <thead>
        <tr>
          <th>Payment</th>
          <th>Time</th>
          <th>Customer</th>
          <th className="num">Amount</th>
          <th className="num">Score</th>
          <th>Decision</th>
          <th>Label</th>
        </tr>
      </thead>
      <tbody>
        {payments.map((p) => (
          <tr key={p.id} data-payment={p.id}>
            <td>
              <a href={`#/payment/${p.id}`}>{p.id}</a>
            </td>
            <td>{formatTime(p.timestamp)}</td>
            <td>
              <a href={`#/customer/${p.userId}`}>…{p.userId.slice(-8)}</a>
            </td>
            <td className="num">{formatAmount(p)}</td>
            <td className="num">{p.fraud ? p.fraud.score.toFixed(1) : "–"}</td>
            <td>
              <span className={`badge ${shownDecision(p)}`} data-testid="decision">
                {shownDecision(p)}
              </span>
            </td>
            <td>{p.label ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
