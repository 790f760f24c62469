import { v } from "convex/values";
import { internalQuery } from "./_generated/server";
import { listAudit } from "./model/audit/audit";
import { auditFilter, auditPage } from "./model/audit/validators";

// Audit events are read here and nowhere written but through `recordAudit`: no function
// updates or deletes one.

/** `GET /audit`: events newest first, by target and/or action. */
export const listForApi = internalQuery({
  args: { filter: auditFilter, limit: v.number(), cursor: v.union(v.string(), v.null()) },
  returns: auditPage,
  handler: async (ctx, { filter, limit, cursor }) =>
    await listAudit(ctx, filter, { numItems: limit, cursor }),
});
