import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

// The pools record every outcome themselves; this covers what a pool can lose (see
// fraud/watchdog.ts).
crons.interval("watchdog", { seconds: 30 }, internal.fraud.watchdog.run, {});
// The same for webhook attempts (model/webhooks/delivery.ts, recoverLostAttempts).
crons.interval("webhook watchdog", { minutes: 1 }, internal.webhookDelivery.watchdog, {});

export default crons;
