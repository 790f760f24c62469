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
import type * as config from "../config.js";
import type * as crons from "../crons.js";
import type * as fraud_assess from "../fraud/assess.js";
import type * as fraud_explain from "../fraud/explain.js";
import type * as fraud_explanation from "../fraud/explanation.js";
import type * as fraud_features from "../fraud/features.js";
import type * as fraud_history from "../fraud/history.js";
import type * as fraud_model from "../fraud/model.js";
import type * as fraud_network from "../fraud/network.js";
import type * as fraud_pipeline from "../fraud/pipeline.js";
import type * as fraud_reasons from "../fraud/reasons.js";
import type * as fraud_score from "../fraud/score.js";
import type * as fraud_validators from "../fraud/validators.js";
import type * as http from "../http.js";
import type * as model_access from "../model/access.js";
import type * as model_errors from "../model/errors.js";
import type * as model_payments from "../model/payments.js";
import type * as model_users from "../model/users.js";
import type * as model_validators from "../model/validators.js";
import type * as rest_apiKeys from "../rest/apiKeys.js";
import type * as rest_currencies from "../rest/currencies.js";
import type * as rest_cursor from "../rest/cursor.js";
import type * as rest_dispatch from "../rest/dispatch.js";
import type * as rest_openapi from "../rest/openapi.js";
import type * as rest_rateLimit from "../rest/rateLimit.js";
import type * as rest_request from "../rest/request.js";
import type * as rest_responses from "../rest/responses.js";
import type * as rest_routeTable from "../rest/routeTable.js";
import type * as rest_routes from "../rest/routes.js";
import type * as rest_schemas from "../rest/schemas.js";
import type * as transactions from "../transactions.js";
import type * as users from "../users.js";

/**
 * A utility for referencing Convex functions in your app's API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
declare const fullApi: ApiFromModules<{
  config: typeof config;
  crons: typeof crons;
  "fraud/assess": typeof fraud_assess;
  "fraud/explain": typeof fraud_explain;
  "fraud/explanation": typeof fraud_explanation;
  "fraud/features": typeof fraud_features;
  "fraud/history": typeof fraud_history;
  "fraud/model": typeof fraud_model;
  "fraud/network": typeof fraud_network;
  "fraud/pipeline": typeof fraud_pipeline;
  "fraud/reasons": typeof fraud_reasons;
  "fraud/score": typeof fraud_score;
  "fraud/validators": typeof fraud_validators;
  http: typeof http;
  "model/access": typeof model_access;
  "model/errors": typeof model_errors;
  "model/payments": typeof model_payments;
  "model/users": typeof model_users;
  "model/validators": typeof model_validators;
  "rest/apiKeys": typeof rest_apiKeys;
  "rest/currencies": typeof rest_currencies;
  "rest/cursor": typeof rest_cursor;
  "rest/dispatch": typeof rest_dispatch;
  "rest/openapi": typeof rest_openapi;
  "rest/rateLimit": typeof rest_rateLimit;
  "rest/request": typeof rest_request;
  "rest/responses": typeof rest_responses;
  "rest/routeTable": typeof rest_routeTable;
  "rest/routes": typeof rest_routes;
  "rest/schemas": typeof rest_schemas;
  transactions: typeof transactions;
  users: typeof users;
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
};
