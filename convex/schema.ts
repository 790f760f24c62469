import { defineSchema } from "convex/server";
import { auditTables } from "./model/audit/schema";
import { historyTables } from "./model/history/schema";
import { listsTables } from "./model/lists/schema";
import { paymentsTables } from "./model/payments/schema";
import { reviewsTables } from "./model/reviews/schema";
import { webhooksTables } from "./model/webhooks/schema";
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
  ...auditTables,
  ...reviewsTables,
  ...webhooksTables,
  ...listsTables,
  ...rulesTables,
});
