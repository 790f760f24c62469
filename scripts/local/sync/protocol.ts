/**
 * The Convex sync protocol as the `convex` client (1.48, `convex/browser` and `convex/react`)
 * speaks it over `/api/<client version>/sync`: the messages local mode reads and writes. Written
 * from the client's own `src/browser/sync/protocol.ts`; only what the server needs is typed.
 */
import type { JSONValue } from "convex/values";

/** A state version: query set, identity and the timestamp the results are valid at. */
export interface StateVersion {
  querySet: number;
  identity: number;
  ts: bigint;
}

/** Timestamps travel as base64 of their 8 little-endian bytes (the client's `EncodedU64`). */
export function encodeTs(ts: bigint): string {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(ts);
  return bytes.toString("base64");
}

export function decodeTs(encoded: string): bigint {
  const bytes = Buffer.from(encoded, "base64");
  if (bytes.length !== 8) throw new Error(`bad timestamp ${encoded}`);
  return bytes.readBigUInt64LE();
}

export interface AddQuery {
  type: "Add";
  queryId: number;
  udfPath: string;
  args: JSONValue[];
  journal?: string | null;
  componentPath?: string;
}

export interface RemoveQuery {
  type: "Remove";
  queryId: number;
}

/** A `Mutation` or an `Action` request. */
export interface RequestMessage {
  type: "Mutation" | "Action";
  requestId: number;
  udfPath: string;
  args: JSONValue[];
  componentPath?: string;
}

export type ClientMessage =
  | {
      type: "Connect";
      sessionId: string;
      connectionCount: number;
      lastCloseReason: string | null;
      maxObservedTimestamp?: string;
      clientTs?: number;
    }
  | {
      type: "ModifyQuerySet";
      baseVersion: number;
      newVersion: number;
      modifications: Array<AddQuery | RemoveQuery>;
    }
  | RequestMessage
  | {
      type: "Authenticate";
      tokenType: "User" | "Admin" | "None";
      value?: string;
      baseVersion: number;
    }
  | { type: "Event"; eventType: string; event: unknown };

/** One query's new state in a `Transition`. */
export type StateModification =
  | {
      type: "QueryUpdated";
      queryId: number;
      value: JSONValue;
      logLines: string[];
      journal: string | null;
    }
  | {
      type: "QueryFailed";
      queryId: number;
      errorMessage: string;
      logLines: string[];
      errorData: JSONValue;
      journal: string | null;
    }
  | { type: "QueryRemoved"; queryId: number };

/** The outcome of a function call, as `MutationResponse`/`ActionResponse` and the HTTP API carry it. */
export type CallOutcome =
  | { success: true; value: JSONValue }
  | { success: false; errorMessage: string; errorData?: JSONValue };

/**
 * A `Transition` message. `modifications` are JSON texts: a query's state is serialized once
 * and spliced into the message of every session subscribed to it (`modificationText`).
 */
export function transitionMessage(
  start: StateVersion,
  end: StateVersion,
  modifications: readonly string[],
): string {
  const version = (v: StateVersion) =>
    JSON.stringify({ querySet: v.querySet, identity: v.identity, ts: encodeTs(v.ts) });
  return (
    `{"type":"Transition","startVersion":${version(start)},"endVersion":${version(end)},` +
    `"modifications":[${modifications.join(",")}],"serverTs":${Date.now()}}`
  );
}

/** The JSON text of a modification: `stateText` (a JSON object without `queryId`) for `queryId`. */
export function modificationText(queryId: number, stateText: string): string {
  return `{"queryId":${queryId},${stateText.slice(1)}`;
}
