import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

// The pools record every outcome themselves; this covers what a pool can lose (see
// fraud/watchdog.ts).
crons.interval("watchdog", { seconds: 30 }, internal.fraud.watchdog.run, {});

export default crons;
