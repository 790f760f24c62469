/**
 * Which functions the client API may call: the public queries, mutations and actions of the
 * app's modules, found by their path as the client sends it (`transactions:get`, also spelled
 * `transactions.js:get`). Internal functions answer exactly as a missing one would, as on a
 * deployment.
 */
import { ConvexError, convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";
import type { CallOutcome } from "./protocol";

export type FunctionKind = "query" | "mutation" | "action";
export type ModuleMap = Record<string, () => Promise<unknown>>;

/** A call the client asked for that cannot run (no such public function, bad arguments). */
export class CallError extends Error {}

const KIND_FLAG: Record<FunctionKind, string> = {
  query: "isQuery",
  mutation: "isMutation",
  action: "isAction",
};

/** "dir/module.js:name" -> ["dir/module", "name"]; a path without ":" names the default export. */
export function splitUdfPath(udfPath: string): [string, string] {
  const colon = udfPath.lastIndexOf(":");
  let module = colon === -1 ? udfPath : udfPath.slice(0, colon);
  const name = colon === -1 ? "default" : udfPath.slice(colon + 1);
  if (module.endsWith(".js")) module = module.slice(0, -3);
  return [module, name];
}

export class PublicFunctions {
  private readonly byModule = new Map<string, () => Promise<unknown>>();

  constructor(modules: ModuleMap) {
    for (const [file, load] of Object.entries(modules)) {
      const name = file.replace(/^\.\//, "").replace(/\.(ts|js|mjs)$/, "");
      this.byModule.set(name, load);
    }
  }

  /**
   * The function reference name (`module:export`) of a public function of `kind` at `udfPath`;
   * throws a `CallError` worded like a deployment's otherwise.
   */
  async resolve(udfPath: string, kind: FunctionKind): Promise<string> {
    const [module, name] = splitUdfPath(udfPath);
    const load = module.includes("_generated") ? undefined : this.byModule.get(module);
    const exports = (load ? await load() : {}) as Record<string, unknown>;
    const found: unknown = Object.hasOwn(exports, name) ? exports[name] : null;
    const fn = found as Record<string, unknown>;
    if (typeof found !== "function" || fn.isPublic !== true) {
      throw new CallError(
        `Could not find public function for '${module}:${name}'. Did you forget to run ` +
          "`npx convex dev` or `npx convex deploy`?",
      );
    }
    if (fn[KIND_FLAG[kind]] !== true) {
      const actual = (Object.keys(KIND_FLAG) as FunctionKind[]).find((k) => fn[KIND_FLAG[k]]);
      throw new CallError(
        `Trying to execute ${module}:${name} as ${kind === "query" ? "Query" : kind === "mutation" ? "Mutation" : "Action"}, ` +
          `but it is defined as ${actual ?? "something else"}.`,
      );
    }
    return `${module}:${name}`;
  }
}

/** A thrown error as the client receives it: `ConvexError`s keep their data (`errorData`). */
export function errorOutcome(error: unknown): CallOutcome & { success: false } {
  if (error instanceof ConvexError) {
    return {
      success: false,
      errorMessage: `Uncaught ConvexError: ${error.message}`,
      errorData: convexToJson((error as ConvexError<Value>).data),
    };
  }
  if (error instanceof CallError) return { success: false, errorMessage: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { success: false, errorMessage: `Uncaught Error: ${message}` };
}

/** The single argument object of a client call (`args` is `[convexToJson(args)]`). */
export function callArgs(args: unknown): Record<string, Value> {
  const value: unknown = Array.isArray(args) ? (args.length === 0 ? {} : args[0]) : (args ?? {});
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CallError("Function arguments must be an object.");
  }
  try {
    return jsonToConvex(value as JSONValue) as Record<string, Value>;
  } catch (error) {
    throw new CallError(`Invalid arguments: ${(error as Error).message}`);
  }
}

export type { JSONValue };
