import { z } from "zod";
import { json } from "../errors";
import { buildOpenApiDocument } from "../openapi";
import { defineRoute, type Route } from "../route";
import { auditRoutes } from "./audit";
import { reviewRoutes } from "./reviews";
import { listRoutes } from "./lists";
import { ruleRoutes } from "./rules";
import { transactionRoutes } from "./transactions";
import { userRoutes } from "./users";
import { webhookRoutes } from "./webhooks";

let openApiDocument: unknown = null;

const metaRoutes: Route[] = [
  defineRoute({
    method: "GET",
    path: "/health",
    auth: false,
    summary: "Liveness check.",
    responses: {
      200: { description: "The service is up.", schema: z.object({ status: z.literal("ok") }) },
    },
    handle: () => Promise.resolve(json(200, { status: "ok" })),
  }),
  defineRoute({
    method: "GET",
    path: "/openapi.json",
    auth: false,
    summary: "This document.",
    responses: { 200: { description: "The OpenAPI 3.1 document." } },
    handle: () => {
      openApiDocument ??= buildOpenApiDocument(routes);
      return Promise.resolve(json(200, openApiDocument));
    },
  }),
];

/** Every endpoint of the REST API, in the order the OpenAPI document lists them. */
export const routes: Route[] = [
  ...metaRoutes,
  ...userRoutes,
  ...transactionRoutes,
  ...reviewRoutes,
  ...webhookRoutes,
  ...auditRoutes,
  ...listRoutes,
  ...ruleRoutes,
];
