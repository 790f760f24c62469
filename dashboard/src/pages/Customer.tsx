import { usePaginatedQuery } from "convex/react";
import { api } from "../../../convex/_generated/api";
import type { Id } from "../../../convex/_generated/dataModel";
import { PaymentTable } from "./PaymentTable";

/** A customer's payments, newest first. */
export function Customer({ id }: { id: string }) {
  const { results, status, loadMore } = usePaginatedQuery(
    api.transactions.listForUser,
    { userId: id as Id<"users"> },
    { initialNumItems: 25 },
  );
  return (
    <section>
      <h1>Customer {id}</h1>
      {status === "LoadingFirstPage" ? <p>Loading…</p> : <PaymentTable payments={results} />}
      {status === "CanLoadMore" && (
        <button onClick={() => loadMore(25)} type="button">
          Load more
        </button>
      )}
    </section>
  );
}
