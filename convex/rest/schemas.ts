import { z } from "zod";
import { convexToZod } from "convex-helpers/server/zod4";
import type { DescriptiveChanges, PaymentSubmission } from "../model/payments/validators";
import { paymentView } from "../model/payments/validators";
import type { NewUser, UserChanges } from "../model/users/validators";
import { userView } from "../model/users/validators";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./constants";
import { ISO_4217_CODES } from "./currencies";

/**
 * The zod schemas of the REST API. They validate every request, and the OpenAPI
 * document is generated from them, so the contract and the checks cannot drift. Each body's
 * output is checked against the Convex validator of the function it feeds (the `satisfies`
 * lines at the end), so a change to either side fails to compile.
 */

const MAX_METADATA_KEYS = 20;
const MAX_METADATA_JSON_BYTES = 4096;
/** Payments before 2000 or after 2100 are almost certainly unit mistakes (s vs ms). */
const MIN_TIMESTAMP = Date.UTC(2000, 0, 1);
const MAX_TIMESTAMP = Date.UTC(2100, 0, 1);

const shortText = (max: number) => z.string().trim().min(1).max(max);

/**
 * What a metadata key may be: Convex stores it as a field name, which must be ASCII and must
 * not start with `$` or `_`; this is stricter (letters, digits, `_`, `-`, `.`, starting with a
 * letter or digit, up to 40 characters), and the names JavaScript objects give a meaning to are
 * refused, so metadata always reads back exactly as sent.
 */
export const METADATA_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;
const RESERVED_METADATA_KEYS: ReadonlySet<string> = new Set(["constructor", "prototype"]);

function metadataKeyProblem(key: string): string | null {
  if (!METADATA_KEY.test(key))
    return "a metadata key is 1-40 ASCII letters, digits, '_', '-' or '.', starting with a letter or digit";
  if (RESERVED_METADATA_KEYS.has(key)) return `"${key}" is reserved`;
  return null;
}

const metadataRecord = z
  .record(
    z.string().regex(METADATA_KEY),
    z.union([z.string().max(500), z.number().finite(), z.boolean(), z.null()]),
  )
  .refine((m) => Object.keys(m).length <= MAX_METADATA_KEYS, {
    message: `at most ${MAX_METADATA_KEYS} keys`,
  })
  .refine((m) => JSON.stringify(m).length <= MAX_METADATA_JSON_BYTES, {
    message: `at most ${MAX_METADATA_JSON_BYTES} bytes`,
  })
  .meta({ description: "A small flat object of string, number, boolean or null values." });

/**
 * The keys are checked on the parsed JSON itself: a record schema never sees a `__proto__` key
 * (it would set the prototype), so it would be dropped without a word.
 */
const metadataSchema = z.preprocess((raw, ctx) => {
  if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
    for (const key of Object.keys(raw)) {
      const problem = metadataKeyProblem(key);
      if (problem) ctx.addIssue({ code: "custom", path: [key], message: problem, input: raw });
    }
  }
  return raw;
}, metadataRecord);

const descriptiveShape = {
  productCategory: shortText(100).optional(),
  customerLocation: shortText(200).optional(),
  metadata: metadataSchema.optional(),
};

export const createUserBody = z
  .strictObject({
    name: shortText(200),
    email: z.email().max(320),
    externalId: shortText(200).optional(),
    tokenIdentifier: shortText(500)
      .optional()
      .meta({ description: "Links a Convex auth identity to this customer." }),
  })
  .meta({ id: "CreateUser" });

export const updateUserBody = createUserBody
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: "at least one field is required" })
  .meta({ id: "UpdateUser" });

export const createTransactionBody = z
  .strictObject({
    userId: z.string().min(1).max(64).meta({ description: "Id of the paying user." }),
    amount: z.number().positive().finite().max(1e9),
    currency: z
      .string()
      .refine((c) => ISO_4217_CODES.has(c), { message: "must be an ISO 4217 code, e.g. USD" })
      .default("USD"),
    terminalId: shortText(100).meta({ description: "The merchant terminal or merchant id." }),
    timestamp: z
      .number()
      .int()
      .min(MIN_TIMESTAMP)
      .max(MAX_TIMESTAMP)
      .optional()
      .meta({ description: "When the payment happened (ms since epoch); defaults to now." }),
    ...descriptiveShape,
  })
  .meta({ id: "CreateTransaction" });

/** Fields fixed at creation; a PATCH that names one is rejected with `immutable_field`. */
export const IMMUTABLE_PAYMENT_FIELDS = [
  "userId",
  "amount",
  "currency",
  "terminalId",
  "timestamp",
] as const;

/** A field that may not be sent: naming it is a 422 `immutable_field`. */
const immutable = z
  .unknown()
  .refine(() => false, {
    message: "is immutable",
    params: {
      code: "immutable_field",
      summary: "Only productCategory, customerLocation and metadata can change after creation.",
    },
  })
  .optional()
  .meta({ description: "Fixed at creation; naming it is a 422 immutable_field." });

export const updateTransactionBody = z
  .strictObject({
    ...descriptiveShape,
    ...Object.fromEntries(IMMUTABLE_PAYMENT_FIELDS.map((field) => [field, immutable])),
  })
  .transform((body): DescriptiveChanges => {
    const { productCategory, customerLocation, metadata } = body;
    return Object.fromEntries(
      Object.entries({ productCategory, customerLocation, metadata }).filter(
        ([, value]) => value !== undefined,
      ),
    );
  })
  .refine((b) => Object.keys(b).length > 0, { message: "at least one field is required" })
  .meta({ id: "UpdateTransaction" });

export const feedbackBody = z
  .strictObject({ label: z.enum(["fraud", "legitimate"]) })
  .meta({ id: "Feedback" });

export const limitParam = z.coerce
  .number()
  .int()
  .min(1)
  .max(MAX_PAGE_SIZE)
  .default(DEFAULT_PAGE_SIZE);
export const cursorParam = z.string().min(1).max(1000);

export const userTransactionsQuery = z.strictObject({
  limit: limitParam,
  cursor: cursorParam.optional(),
});

export const listTransactionsQuery = z.strictObject({
  limit: limitParam,
  cursor: cursorParam.optional(),
  status: z.enum(["pending", "scored", "failed"]).optional(),
  userId: z.string().min(1).max(64).optional(),
});

export const deleteUserQuery = z.strictObject({
  cascade: z.enum(["true", "false"]).default("false"),
});

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export const idempotencyHeaders = z.object({
  "Idempotency-Key": z
    .string()
    .regex(IDEMPOTENCY_KEY, "1-255 visible ASCII characters")
    .optional()
    .meta({
      description:
        "Retries with the same key and body return the same payment; another body is a 409.",
    }),
});

/** How long a caller will wait for the decision (`Prefer: wait=N`), in seconds. */
export const MAX_PREFER_WAIT_S = 10;

/**
 * The `wait` preference of a `Prefer` header (RFC 7240: comma-separated preferences, each
 * `token[=value]`, optionally quoted, parameters after `;`; preferences not understood are
 * ignored), or `undefined` when there is none.
 */
function preferredWait(header: string): number | "invalid" | undefined {
  for (const preference of header.split(",")) {
    const [name, rawValue] = preference
      .split(";")[0]
      .split("=", 2)
      .map((s) => s.trim());
    if (name.toLowerCase() !== "wait") continue;
    const value = rawValue?.replace(/^"(.*)"$/, "$1") ?? "";
    const seconds = /^\d{1,2}$/.test(value) ? Number(value) : NaN;
    return seconds >= 1 && seconds <= MAX_PREFER_WAIT_S ? seconds : "invalid";
  }
  return undefined;
}

export const createTransactionHeaders = idempotencyHeaders.extend({
  Prefer: z
    .string()
    .optional()
    .transform((header, ctx) => {
      if (header === undefined) return undefined;
      const wait = preferredWait(header);
      if (wait === "invalid") {
        ctx.addIssue({
          code: "custom",
          message: `wait must be a whole number of seconds from 1 to ${MAX_PREFER_WAIT_S}`,
        });
        return z.NEVER;
      }
      return wait;
    })
    .meta({
      description:
        `\`wait=N\` (RFC 7240; N from 1 to ${MAX_PREFER_WAIT_S} seconds): answer 201 with the ` +
        "decision when it is ready within N seconds (`Preference-Applied: wait=N`), 202 pending otherwise.",
      examples: ["wait=5"],
    }),
});

/** Response schemas, derived from the Convex validators the functions return. */
export const userSchema = convexToZod(userView).meta({ id: "User" });
export const transactionSchema = convexToZod(paymentView).meta({ id: "Transaction" });

// The bodies' outputs are what the internal functions' Convex validators accept.
void ({} as z.output<typeof createUserBody> satisfies NewUser);
void ({} as z.output<typeof updateUserBody> satisfies UserChanges);
void ({} as z.output<typeof createTransactionBody> satisfies PaymentSubmission);
void ({} as z.output<typeof updateTransactionBody> satisfies DescriptiveChanges);

export const userEnvelope = z.object({ user: userSchema });
export const transactionEnvelope = z.object({ transaction: transactionSchema });
export const pageEnvelope = z.object({
  data: z.array(transactionSchema),
  nextCursor: z.string().nullable(),
});
