/**
 * The live-updates example of the README, as a script: with `npm start` running,
 *   npx tsx scripts/local/sync/liveExample.ts
 * signs in with a local analyst token (`/dev/token?role=analyst`), subscribes through the
 * `convex` package's own client, posts a payment over the REST API and prints every state the
 * subscription receives, from `pending` to the decision (no polling). Exits 0 once scored.
 * `CONVEX_URL` (default http://127.0.0.1:3210) and `HTTP_URL` (default http://127.0.0.1:3211).
 */
import { ConvexClient } from "convex/browser";
import { api } from "../../../convex/_generated/api";

const clientUrl = process.env.CONVEX_URL ?? "http://127.0.0.1:3210";
const httpUrl = process.env.HTTP_URL ?? "http://127.0.0.1:3211";
const apiKey = process.env.API_KEY ?? "dev-key";

async function rest<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(`${httpUrl}/api/v1${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function main() {
  const { token } = (await (await fetch(`${httpUrl}/dev/token?role=analyst`)).json()) as {
    token: string;
  };
  const client = new ConvexClient(clientUrl);
  client.setAuth(() => Promise.resolve(token));
  const { user } = await rest<{ user: { id: string } }>("/users", {
    name: "Live Example",
    email: `live-${Date.now()}@example.com`,
  });
  const userId = user.id as never;
  const seen: string[] = [];
  const done = new Promise<void>((resolve) => {
    // Subscribed before the payment exists: it shows up "pending", then with its decision.
    client.onUpdate(
      api.transactions.listForUser,
      { userId, paginationOpts: { numItems: 5, cursor: null } },
      (result) => {
        const payment = result.page[0];
        if (payment === undefined) return;
        const state =
          payment.fraud === null
            ? payment.status
            : `${payment.status}: ${payment.fraud.decision} (score ${payment.fraud.score.toFixed(3)})`;
        if (seen.at(-1) === state) return;
        seen.push(state);
        console.log(`${payment.id}: ${state}`);
        if (payment.fraud !== null) resolve();
      },
    );
  });
  const { transaction } = await rest<{ transaction: { id: string } }>("/transactions", {
    userId: user.id,
    amount: 129.9,
    terminalId: "T-042",
    productCategory: "electronics",
  });
  // The payment itself, as a `useQuery(api.transactions.get, { id })` would follow it.
  const scored = new Promise<void>((resolve) => {
    client.onUpdate(api.transactions.get, { id: transaction.id }, (payment) => {
      console.log(`get ${transaction.id}: ${payment?.status} ${payment?.fraud?.decision ?? ""}`);
      if (payment?.fraud) resolve();
    });
  });
  const timeout = setTimeout(() => {
    console.error(`no decision after 30 s (seen: ${seen.join(" -> ")})`);
    process.exit(1);
  }, 30_000);
  await Promise.all([done, scored]);
  clearTimeout(timeout);
  await client.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
