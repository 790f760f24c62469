import { internal } from "../../_generated/api";
import { auditPageEnvelope, listAuditQuery } from "../auditSchemas";
import { decodeNumericCursor, withEncodedCursor } from "../cursor";
import { json } from "../errors";
import { defineRoute, type Route } from "../route";

/** The audit trail: read-only, newest first. */
export const auditRoutes: Route[] = [
  defineRoute({
    method: "GET",
    path: "/audit",
    auth: true,
    summary:
      "Audit events newest first: who changed a label, a review, a rule, a list or a webhook.",
    query: listAuditQuery,
    responses: { 200: { description: "One page.", schema: auditPageEnvelope } },
    handle: async ({ ctx, query }) => {
      const page = await ctx.runQuery(internal.audit.listForApi, {
        filter: {
          targetType: query.targetType,
          targetId: query.targetId,
          action: query.action,
        },
        limit: query.limit,
        cursor: query.cursor === undefined ? null : decodeNumericCursor(query.cursor),
      });
      return json(200, withEncodedCursor(page));
    },
  }),
];
