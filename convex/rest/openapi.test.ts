import { expect, test } from "vitest";
import { call, setupBackend } from "../test.setup";
import { routes } from "./routes";

test("the OpenAPI document covers every endpoint, with its schemas", async () => {
  const t = setupBackend();
  const doc = (await call(t, "GET", "/openapi.json", { key: null })).body;
  for (const route of routes) {
    const operation = doc.paths[`/api/v1${route.path}`]?.[route.method.toLowerCase()];
    expect(operation, `${route.method} ${route.path}`).toBeDefined();
    expect(operation.security).toEqual(route.auth ? [{ apiKey: [] }] : []);
  }
  for (const [path, method] of [
    ["/reviews", "get"],
    ["/reviews/{id}", "get"],
    ["/reviews/{id}/assign", "post"],
    ["/reviews/{id}/resolve", "post"],
    ["/audit", "get"],
    ["/webhooks", "post"],
    ["/webhooks", "get"],
    ["/webhooks/{id}", "get"],
    ["/webhooks/{id}", "patch"],
    ["/webhooks/{id}", "delete"],
    ["/webhooks/{id}/deliveries", "get"],
    ["/webhooks/{id}/test", "post"],
  ]) {
    expect(doc.paths[`/api/v1${path}`]?.[method], `${method} ${path}`).toBeDefined();
  }
  for (const name of ["Review", "AuditEvent", "Webhook", "CreatedWebhook", "WebhookAttempt"]) {
    expect(doc.components.schemas[name], name).toBeDefined();
  }
  const audit = doc.paths["/api/v1/audit"].get.parameters.map((p: { name: string }) => p.name);
  expect(audit.sort()).toEqual(["action", "cursor", "limit", "targetId", "targetType"]);
  expect(doc.components.schemas.Transaction.properties.finalDecision).toBeDefined();
});
