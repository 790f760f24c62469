import { usePaginatedQuery } from "convex/react";
import { useState } from "react";
import { api } from "../../../convex/_generated/api";
import { PaymentTable } from "./PaymentTable";

type Decision = "allow" | "review" | "block";
type Status = "pending" | "scored" | "failed";

/** Every payment, newest first, live: new ones appear and turn from pending to their decision. */
export function Feed() {
  const [decision, setDecision] = useState<Decision | "">("");
  const [status, setStatus] = useState<Status | "">("");
  const {
    results,
    status: loading,
    loadMore,
  } = usePaginatedQuery(
    api.transactions.feed,
    { decision: decision || undefined, status: status || undefined },
    { initialNumItems: 25 },
  );
  return (
    <section>
      <h1>Live feed</h1>
      <div className="filters">
        <label>
          Decision{" "}
          <select
            name="decision"
            value={decision}
            onChange={(e) => setDecision(e.target.value as Decision | "")}
          >
            <option value="">any</option>
            <option value="allow">allow</option>
            <option value="review">review</option>
            <option value="block">block</option>
          </select>
        </label>
        <label>
          Status{" "}
          <select
            name="status"
            value={status}
            onChange={(e) => setStatus(e.target.value as Status | "")}
          >
            <option value="">any</option>
            <option value="pending">pending</option>
            <option value="scored">scored</option>
            <option value="failed">failed</option>
          </select>
        </label>
      </div>
      {loading === "LoadingFirstPage" ? <p>Loading…</p> : <PaymentTable payments={results} />}
      {loading === "CanLoadMore" && (
        <button onClick={() => loadMore(25)} type="button">
          Load more
        </button>
      )}
    </section>
  );
}
