import { defineSchema } from "convex/server";
import { historyTables } from "./model/history/schema";
import { listsTables } from "./model/lists/schema";
import { paymentsTables } from "./model/payments/schema";
import { rulesTables } from "./model/rules/schema";
import { usersTables } from "./model/users/schema";

/**
 * The app's tables, one part per domain (each part says which functions write its tables).
 * Components keep their own tables: the rate limiter's buckets, the pools' queues.
 */
export default defineSchema({
  ...usersTables,
  ...paymentsTables,
  ...historyTables,
  ...listsTables,
  ...rulesTables,
});
