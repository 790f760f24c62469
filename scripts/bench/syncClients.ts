/**
 * Child process of the sync bench: `clients` ConvexClients (as analysts) holding
 * `subscriptions` live `transactions.listForUser` pages of the given users, so that their work
 * (parsing and applying transitions) does not run on the server's thread. Prints "ready" once
 * every subscription has its first result, then the number of updates received when stdin closes.
 *   tsx scripts/bench/syncClients.ts <url> <clients> <subscriptions> <userId,userId,...>
 */
import { ConvexClient } from "convex/browser";
import WebSocket from "ws";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";

const [url, clientCount, subscriptionCount, userList] = process.argv.slice(2);
const users = userList.split(",") as Id<"users">[];
const clients = Array.from({ length: Number(clientCount) }, (_, c) => {
  const client = new ConvexClient(url, {
    webSocketConstructor: WebSocket as unknown as typeof globalThis.WebSocket,
    unsavedChangesWarning: false,
    logger: false,
  });
  client.setAuth(() => Promise.resolve(`analyst-${c}`));
  return client;
});
const first = new Set<number>();
let updates = 0;
for (let s = 0; s < Number(subscriptionCount); s++) {
  clients[s % clients.length].onUpdate(
    api.transactions.listForUser,
    // Distinct subscriptions: customer s % 10, page size 5 + floor(s / 10) (a client would
    // merge identical ones into one).
    {
      userId: users[s % users.length],
      paginationOpts: { numItems: 5 + Math.floor(s / users.length), cursor: null },
    },
    () => {
      updates += 1;
      if (!first.has(s)) {
        first.add(s);
        if (first.size === Number(subscriptionCount)) console.log("ready");
      }
    },
  );
}
process.stdin.on("data", () => undefined);
process.stdin.on("end", () => {
  console.log(`updates ${updates}`);
  process.exit(0);
});
