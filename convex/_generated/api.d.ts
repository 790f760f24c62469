/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import type * as audit from "../audit.js";
import type * as backtests from "../backtests.js";
import type * as config from "../config.js";
import type * as crons from "../crons.js";
import type * as fraud_explaining from "../fraud/explaining.js";
import type * as fraud_inline from "../fraud/inline.js";
import type * as fraud_llm from "../fraud/llm.js";
import type * as fraud_pools from "../fraud/pools.js";
import type * as fraud_scoring from "../fraud/scoring.js";
import type * as fraud_scoringAction from "../fraud/scoringAction.js";
import type * as fraud_template from "../fraud/template.js";
import type * as fraud_watchdog from "../fraud/watchdog.js";
import type * as functions from "../functions.js";
import type * as http from "../http.js";
import type * as lists from "../lists.js";
import type * as migrations from "../migrations.js";
import type * as ml_artifact from "../ml/artifact.js";
import type * as ml_batch from "../ml/batch.js";
import type * as ml_buckets from "../ml/buckets.js";
import type * as ml_decision from "../ml/decision.js";
import type * as ml_features from "../ml/features.js";
import type * as ml_logistic from "../ml/logistic.js";
import type * as ml_network from "../ml/network.js";
import type * as ml_reasons from "../ml/reasons.js";
import type * as ml_scorer from "../ml/scorer.js";
import type * as ml_statistics from "../ml/statistics.js";
import type * as ml_time from "../ml/time.js";
import type * as ml_windows from "../ml/windows.js";
import type * as model_access from "../model/access.js";
import type * as model_audit_audit from "../model/audit/audit.js";
import type * as model_audit_validators from "../model/audit/validators.js";
import type * as model_errors from "../model/errors.js";
import type * as model_history_aggregates from "../model/history/aggregates.js";
import type * as model_history_folder from "../model/history/folder.js";
import type * as model_history_sides from "../model/history/sides.js";
import type * as model_history_validators from "../model/history/validators.js";
import type * as model_history_windowStats from "../model/history/windowStats.js";
import type * as model_lists_lists from "../model/lists/lists.js";
import type * as model_lists_validators from "../model/lists/validators.js";
import type * as model_payments_feedback from "../model/payments/feedback.js";
import type * as model_payments_ids from "../model/payments/ids.js";
import type * as model_payments_lifecycle from "../model/payments/lifecycle.js";
import type * as model_payments_list from "../model/payments/list.js";
import type * as model_payments_locate from "../model/payments/locate.js";
import type * as model_payments_validators from "../model/payments/validators.js";
import type * as model_payments_view from "../model/payments/view.js";
import type * as model_reviews_decided from "../model/reviews/decided.js";
import type * as model_reviews_reviews from "../model/reviews/reviews.js";
import type * as model_reviews_validators from "../model/reviews/validators.js";
import type * as model_rules_apply from "../model/rules/apply.js";
import type * as model_rules_backtest from "../model/rules/backtest.js";
import type * as model_rules_check from "../model/rules/check.js";
import type * as model_rules_evaluate from "../model/rules/evaluate.js";
import type * as model_rules_rules from "../model/rules/rules.js";
import type * as model_rules_validators from "../model/rules/validators.js";
import type * as model_users_users from "../model/users/users.js";
import type * as model_users_validators from "../model/users/validators.js";
import type * as model_webhooks_delivery from "../model/webhooks/delivery.js";
import type * as model_webhooks_endpoints from "../model/webhooks/endpoints.js";
import type * as model_webhooks_events from "../model/webhooks/events.js";
import type * as model_webhooks_pool from "../model/webhooks/pool.js";
import type * as model_webhooks_retry from "../model/webhooks/retry.js";
import type * as model_webhooks_send from "../model/webhooks/send.js";
import type * as model_webhooks_urls from "../model/webhooks/urls.js";
import type * as model_webhooks_validators from "../model/webhooks/validators.js";
import type * as rest_apiKeys from "../rest/apiKeys.js";
import type * as rest_auditSchemas from "../rest/auditSchemas.js";
import type * as rest_constants from "../rest/constants.js";
import type * as rest_currencies from "../rest/currencies.js";
import type * as rest_cursor from "../rest/cursor.js";
import type * as rest_dispatch from "../rest/dispatch.js";
import type * as rest_errors from "../rest/errors.js";
import type * as rest_keyCursor from "../rest/keyCursor.js";
import type * as rest_listSchemas from "../rest/listSchemas.js";
import type * as rest_openapi from "../rest/openapi.js";
import type * as rest_rateLimit from "../rest/rateLimit.js";
import type * as rest_request from "../rest/request.js";
import type * as rest_reviewSchemas from "../rest/reviewSchemas.js";
import type * as rest_route from "../rest/route.js";
import type * as rest_routes_audit from "../rest/routes/audit.js";
import type * as rest_routes_index from "../rest/routes/index.js";
import type * as rest_routes_lists from "../rest/routes/lists.js";
import type * as rest_routes_reviews from "../rest/routes/reviews.js";
import type * as rest_routes_rules from "../rest/routes/rules.js";
import type * as rest_routes_transactions from "../rest/routes/transactions.js";
import type * as rest_routes_users from "../rest/routes/users.js";
import type * as rest_routes_webhooks from "../rest/routes/webhooks.js";
import type * as rest_ruleSchemas from "../rest/ruleSchemas.js";
import type * as rest_schemas from "../rest/schemas.js";
import type * as rest_webhookSchemas from "../rest/webhookSchemas.js";
import type * as reviews from "../reviews.js";
import type * as rules from "../rules.js";
import type * as transactions from "../transactions.js";
import type * as users from "../users.js";
import type * as webhookDelivery from "../webhookDelivery.js";
import type * as webhooks from "../webhooks.js";

/**
 * A utility for referencing Convex functions in your app's API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
declare const fullApi: ApiFromModules<{
  audit: typeof audit;
  backtests: typeof backtests;
  config: typeof config;
  crons: typeof crons;
  "fraud/explaining": typeof fraud_explaining;
  "fraud/inline": typeof fraud_inline;
  "fraud/llm": typeof fraud_llm;
  "fraud/pools": typeof fraud_pools;
  "fraud/scoring": typeof fraud_scoring;
  "fraud/scoringAction": typeof fraud_scoringAction;
  "fraud/template": typeof fraud_template;
  "fraud/watchdog": typeof fraud_watchdog;
  functions: typeof functions;
  http: typeof http;
  lists: typeof lists;
  migrations: typeof migrations;
  "ml/artifact": typeof ml_artifact;
  "ml/batch": typeof ml_batch;
  "ml/buckets": typeof ml_buckets;
  "ml/decision": typeof ml_decision;
  "ml/features": typeof ml_features;
  "ml/logistic": typeof ml_logistic;
  "ml/network": typeof ml_network;
  "ml/reasons": typeof ml_reasons;
  "ml/scorer": typeof ml_scorer;
  "ml/statistics": typeof ml_statistics;
  "ml/time": typeof ml_time;
  "ml/windows": typeof ml_windows;
  "model/access": typeof model_access;
  "model/audit/audit": typeof model_audit_audit;
  "model/audit/validators": typeof model_audit_validators;
  "model/errors": typeof model_errors;
  "model/history/aggregates": typeof model_history_aggregates;
  "model/history/folder": typeof model_history_folder;
  "model/history/sides": typeof model_history_sides;
  "model/history/validators": typeof model_history_validators;
  "model/history/windowStats": typeof model_history_windowStats;
  "model/lists/lists": typeof model_lists_lists;
  "model/lists/validators": typeof model_lists_validators;
  "model/payments/feedback": typeof model_payments_feedback;
  "model/payments/ids": typeof model_payments_ids;
  "model/payments/lifecycle": typeof model_payments_lifecycle;
  "model/payments/list": typeof model_payments_list;
  "model/payments/locate": typeof model_payments_locate;
  "model/payments/validators": typeof model_payments_validators;
  "model/payments/view": typeof model_payments_view;
  "model/reviews/decided": typeof model_reviews_decided;
  "model/reviews/reviews": typeof model_reviews_reviews;
  "model/reviews/validators": typeof model_reviews_validators;
  "model/rules/apply": typeof model_rules_apply;
  "model/rules/backtest": typeof model_rules_backtest;
  "model/rules/check": typeof model_rules_check;
  "model/rules/evaluate": typeof model_rules_evaluate;
  "model/rules/rules": typeof model_rules_rules;
  "model/rules/validators": typeof model_rules_validators;
  "model/users/users": typeof model_users_users;
  "model/users/validators": typeof model_users_validators;
  "model/webhooks/delivery": typeof model_webhooks_delivery;
  "model/webhooks/endpoints": typeof model_webhooks_endpoints;
  "model/webhooks/events": typeof model_webhooks_events;
  "model/webhooks/pool": typeof model_webhooks_pool;
  "model/webhooks/retry": typeof model_webhooks_retry;
  "model/webhooks/send": typeof model_webhooks_send;
  "model/webhooks/urls": typeof model_webhooks_urls;
  "model/webhooks/validators": typeof model_webhooks_validators;
  "rest/apiKeys": typeof rest_apiKeys;
  "rest/auditSchemas": typeof rest_auditSchemas;
  "rest/constants": typeof rest_constants;
  "rest/currencies": typeof rest_currencies;
  "rest/cursor": typeof rest_cursor;
  "rest/dispatch": typeof rest_dispatch;
  "rest/errors": typeof rest_errors;
  "rest/keyCursor": typeof rest_keyCursor;
  "rest/listSchemas": typeof rest_listSchemas;
  "rest/openapi": typeof rest_openapi;
  "rest/rateLimit": typeof rest_rateLimit;
  "rest/request": typeof rest_request;
  "rest/reviewSchemas": typeof rest_reviewSchemas;
  "rest/route": typeof rest_route;
  "rest/routes/audit": typeof rest_routes_audit;
  "rest/routes/index": typeof rest_routes_index;
  "rest/routes/lists": typeof rest_routes_lists;
  "rest/routes/reviews": typeof rest_routes_reviews;
  "rest/routes/rules": typeof rest_routes_rules;
  "rest/routes/transactions": typeof rest_routes_transactions;
  "rest/routes/users": typeof rest_routes_users;
  "rest/routes/webhooks": typeof rest_routes_webhooks;
  "rest/ruleSchemas": typeof rest_ruleSchemas;
  "rest/schemas": typeof rest_schemas;
  "rest/webhookSchemas": typeof rest_webhookSchemas;
  reviews: typeof reviews;
  rules: typeof rules;
  transactions: typeof transactions;
  users: typeof users;
  webhookDelivery: typeof webhookDelivery;
  webhooks: typeof webhooks;
}>;
export declare const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
>;
export declare const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
>;

export declare const components: {
  rateLimiter: import("@convex-dev/rate-limiter/_generated/component.js").ComponentApi<"rateLimiter">;
  scoringPool: import("@convex-dev/workpool/_generated/component.js").ComponentApi<"scoringPool">;
  explanationPool: import("@convex-dev/workpool/_generated/component.js").ComponentApi<"explanationPool">;
  webhookPool: import("@convex-dev/workpool/_generated/component.js").ComponentApi<"webhookPool">;
  historyFolder: import("@convex-dev/batch-worker/_generated/component.js").ComponentApi<"historyFolder">;
  migrations: import("@convex-dev/migrations/_generated/component.js").ComponentApi<"migrations">;
};
