import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

// The safety net of the scoring pipeline: scheduled actions run at most once, so payments
// whose scoring or explanation went quiet are picked up here (see fraud/pipeline.ts).
crons.interval("sweep stuck payments", { seconds: 30 }, internal.fraud.pipeline.sweep, {});

export default crons;
