import { z } from "zod";
import { convexToZod } from "convex-helpers/server/zod4";
import { auditEventView } from "../model/audit/validators";
import { cursorParam, limitParam } from "./schemas";

/** The audit endpoint's query string and response, beside the other REST schemas. */

export const AUDIT_TARGET_TYPES = [
  "payment",
  "review",
  "rule",
  "list",
  "listItem",
  "webhook",
] as const;

export const listAuditQuery = z
  .strictObject({
    targetType: z.enum(AUDIT_TARGET_TYPES).optional(),
    targetId: z.string().min(1).max(200).optional(),
    action: z
      .string()
      .regex(/^[a-zA-Z]+\.[a-zA-Z_]+$/, "e.g. payment.labeled")
      .optional(),
    limit: limitParam,
    cursor: cursorParam.optional(),
  })
  .refine((q) => q.targetId === undefined || q.targetType !== undefined, {
    message: "targetId needs targetType",
    path: ["targetType"],
  });

export const auditEventSchema = convexToZod(auditEventView).meta({ id: "AuditEvent" });
export const auditPageEnvelope = z.object({
  data: z.array(auditEventSchema),
  nextCursor: z.string().nullable(),
});
