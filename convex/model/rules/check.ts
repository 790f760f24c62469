import { parse } from "@bufbuild/cel";
import { FEATURE_NAMES } from "../../ml/features";

/**
 * A type checker for rule expressions. `@bufbuild/cel` (0.6.1) parses and evaluates CEL but
 * does not export a checker yet, so this one checks the parsed tree against the rule
 * variables' declared types before a rule is saved: an unknown variable, field, function or
 * list, or operands no CEL overload accepts, is an error with the position of the offending
 * sub-expression. It also rewrites the tree in two places, so evaluation does what the
 * declarations say:
 *
 * - **Numbers.** Every number a rule sees is a `double`; an integer literal next to one (or in
 *   a list of them) becomes a double literal, so `payment.amount > 1000`, `1000.0` and
 *   `payment.amount * 2` all work as written.
 * - **Lists.** `value in lists.<name>` becomes a variable the evaluator binds from one indexed
 *   lookup of `value` in the list, never a scan (`evaluate.ts`).
 */

export type Expr = ReturnType<typeof parse>["expr"];
type ExprKind = Expr["exprKind"];
type KindValue<C extends ExprKind["case"]> = Extract<ExprKind, { case: C }>["value"];
type Constant = KindValue<"constExpr">;

/** The types the checker knows. `dyn` accepts anything (metadata values). */
export type CelTypeOf =
  | { kind: "bool" | "int" | "uint" | "double" | "string" | "bytes" | "null" | "dyn" }
  | { kind: "list"; element: CelTypeOf }
  | { kind: "map"; key: CelTypeOf; value: CelTypeOf }
  | { kind: "object"; name: string; fields: Readonly<Record<string, CelTypeOf>> };

const BOOL: CelTypeOf = { kind: "bool" };
const INT: CelTypeOf = { kind: "int" };
const UINT: CelTypeOf = { kind: "uint" };
const DOUBLE: CelTypeOf = { kind: "double" };
const STRING: CelTypeOf = { kind: "string" };
const BYTES: CelTypeOf = { kind: "bytes" };
const NULL: CelTypeOf = { kind: "null" };
const DYN: CelTypeOf = { kind: "dyn" };

const object = (name: string, fields: Record<string, CelTypeOf>): CelTypeOf => ({
  kind: "object",
  name,
  fields,
});

/**
 * The variables every rule sees (the README's table). Optional payment and user fields are
 * absent when unset: reading one is a run-time error (the rule does not match), `has()` tests it.
 */
export const RULE_VARIABLES: Readonly<Record<string, CelTypeOf>> = {
  payment: object("payment", {
    amount: DOUBLE,
    currency: STRING,
    timestamp: DOUBLE,
    userId: STRING,
    terminalId: STRING,
    productCategory: STRING,
    customerLocation: STRING,
    metadata: { kind: "map", key: STRING, value: DYN },
  }),
  user: object("user", { id: STRING, email: STRING, externalId: STRING, createdAt: DOUBLE }),
  features: object("features", Object.fromEntries(FEATURE_NAMES.map((name) => [name, DOUBLE]))),
  score: DOUBLE,
  probability: DOUBLE,
};

/** The variable the evaluator binds to the outcome of the `index`-th list membership. */
export const membershipVariable = (index: number) => `__member_${index}`;

/** One `value in lists.<name>`: the list and the sub-expression giving the value. */
export type Membership = { list: string; value: Expr };

export type CheckedRule = {
  /** The rewritten tree, ready to plan. */
  expr: Expr;
  memberships: Membership[];
  /** The lists referenced, without repeats. */
  listNames: string[];
  /** Whether it reads `user` (the evaluator reads the user document only then). */
  usesUser: boolean;
};

/** Where a problem is: 0-based offset, 1-based line and column. */
export type Position = { offset: number; line: number; column: number };

export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly position: Position,
  ) {
    super(message);
  }
}

/** Line and column of an offset in `text`. */
export function positionOf(text: string, offset: number): Position {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split("\n");
  return { offset, line: lines.length, column: lines[lines.length - 1].length + 1 };
}

export function typeName(t: CelTypeOf): string {
  switch (t.kind) {
    case "list":
      return `list(${typeName(t.element)})`;
    case "map":
      return `map(${typeName(t.key)}, ${typeName(t.value)})`;
    case "object":
      return t.name;
    case "null":
      return "null_type";
    default:
      return t.kind;
  }
}

const isNumeric = (t: CelTypeOf) => t.kind === "int" || t.kind === "uint" || t.kind === "double";
const isDyn = (t: CelTypeOf) => t.kind === "dyn";

/** Whether values of `a` and `b` can meet (equality, branches, list elements). */
function compatible(a: CelTypeOf, b: CelTypeOf): boolean {
  if (isDyn(a) || isDyn(b)) return true;
  if (isNumeric(a) && isNumeric(b)) return true;
  if (a.kind === "null" || b.kind === "null") return true;
  if (a.kind === "list" && b.kind === "list") return compatible(a.element, b.element);
  if (a.kind === "map" && b.kind === "map") {
    return compatible(a.key, b.key) && compatible(a.value, b.value);
  }
  if (a.kind === "object" && b.kind === "object") return a.name === b.name;
  return a.kind === b.kind;
}

/** The common type of two compatible types (`dyn` when they differ). */
function join(a: CelTypeOf, b: CelTypeOf): CelTypeOf {
  if (isDyn(a)) return b;
  if (isDyn(b)) return a;
  if (a.kind === "list" && b.kind === "list") {
    return { kind: "list", element: join(a.element, b.element) };
  }
  return typeName(a) === typeName(b) ? a : DYN;
}

const COMPARISONS = new Set(["_<_", "_<=_", "_>_", "_>=_"]);
const ARITHMETIC = new Set(["_+_", "_-_", "_*_", "_/_", "_%_"]);
const STRING_PREDICATES = new Set(["contains", "startsWith", "endsWith", "matches"]);
const CONVERSIONS: Record<string, CelTypeOf> = {
  int: INT,
  uint: UINT,
  double: DOUBLE,
  string: STRING,
  bool: BOOL,
  dyn: DYN,
};

/**
 * Checks and rewrites one parsed expression. `knownLists` is the set of list names that exist
 * (a rule saved against a missing list is refused); `null` accepts any name (evaluation of a
 * rule already saved).
 */
class Checker {
  private readonly scopes: Map<string, CelTypeOf>[] = [];
  private readonly memberships: Membership[] = [];
  private readonly listNames = new Set<string>();
  private usesUser = false;

  constructor(
    private readonly text: string,
    private readonly positions: Record<string, number>,
    private readonly knownLists: ReadonlySet<string> | null,
  ) {}

  run(expr: Expr): CheckedRule {
    const type = this.check(expr);
    if (type.kind !== "bool" && type.kind !== "dyn") {
      this.fail(expr, `the expression must give a bool, not ${typeName(type)}`);
    }
    return {
      expr,
      memberships: this.memberships,
      listNames: [...this.listNames],
      usesUser: this.usesUser,
    };
  }

  private fail(expr: Expr, message: string): never {
    throw new ExpressionError(
      message,
      positionOf(this.text, this.positions[expr.id.toString()] ?? 0),
    );
  }

  private check(expr: Expr): CelTypeOf {
    const kind = expr.exprKind;
    switch (kind.case) {
      case "constExpr":
        return this.constant(expr, kind.value);
      case "identExpr":
        return this.ident(expr, kind.value.name);
      case "selectExpr":
        return this.select(expr, kind.value);
      case "callExpr":
        return this.call(expr, kind.value);
      case "listExpr":
        return this.list(expr, kind.value);
      case "structExpr":
        return this.struct(expr, kind.value);
      case "comprehensionExpr":
        return this.comprehension(expr, kind.value);
      default:
        return this.fail(expr, "unsupported expression");
    }
  }

  private constant(expr: Expr, constant: Constant): CelTypeOf {
    switch (constant.constantKind.case) {
      case "boolValue":
        return BOOL;
      case "int64Value":
        return INT;
      case "uint64Value":
        return UINT;
      case "doubleValue":
        return DOUBLE;
      case "stringValue":
        return STRING;
      case "bytesValue":
        return BYTES;
      case "nullValue":
        return NULL;
      default:
        return this.fail(expr, "unsupported literal (durations and timestamps are not available)");
    }
  }

  private ident(expr: Expr, name: string): CelTypeOf {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const local = this.scopes[i].get(name);
      if (local) return local;
    }
    if (name === "lists") {
      return this.fail(expr, "lists can only be used as `value in lists.<name>`");
    }
    const type = RULE_VARIABLES[name];
    if (!type) return this.fail(expr, `undeclared reference to '${name}'`);
    if (name === "user") this.usesUser = true;
    return type;
  }

  private select(expr: Expr, select: KindValue<"selectExpr">): CelTypeOf {
    if (!select.operand) return this.fail(expr, "missing operand");
    if (isIdent(select.operand, "lists") && !this.isShadowed("lists")) {
      return this.fail(expr, "lists can only be used as `value in lists.<name>`");
    }
    const operand = this.check(select.operand);
    let field: CelTypeOf;
    if (operand.kind === "object") {
      const known = operand.fields[select.field];
      if (!known) return this.fail(expr, `undefined field '${select.field}' of ${operand.name}`);
      field = known;
    } else if (operand.kind === "map") {
      if (operand.key.kind !== "string" && !isDyn(operand.key)) {
        return this.fail(expr, `cannot select a field of ${typeName(operand)}`);
      }
      field = operand.value;
    } else if (isDyn(operand)) {
      field = DYN;
    } else {
      return this.fail(expr, `cannot select field '${select.field}' of ${typeName(operand)}`);
    }
    return select.testOnly ? BOOL : field;
  }

  private isShadowed(name: string): boolean {
    return this.scopes.some((scope) => scope.has(name));
  }

  private list(expr: Expr, list: KindValue<"listExpr">): CelTypeOf {
    if (list.optionalIndices.length > 0)
      return this.fail(expr, "optional elements are not supported");
    const types = list.elements.map((e) => this.check(e));
    if (types.some((t) => t.kind === "double")) {
      list.elements.forEach((e, i) => (types[i] = this.adapt(e, types[i], DOUBLE)));
    }
    let element: CelTypeOf = DYN;
    types.forEach((t, i) => {
      if (!compatible(element, t)) {
        this.fail(
          list.elements[i],
          `list elements of types ${typeName(element)} and ${typeName(t)}`,
        );
      }
      element = i === 0 ? t : join(element, t);
    });
    return { kind: "list", element };
  }

  private struct(expr: Expr, struct: KindValue<"structExpr">): CelTypeOf {
    if (struct.messageName !== "") return this.fail(expr, `unknown type '${struct.messageName}'`);
    let key: CelTypeOf = DYN;
    let value: CelTypeOf = DYN;
    struct.entries.forEach((entry, i) => {
      if (entry.keyKind.case !== "mapKey" || !entry.value) {
        this.fail(expr, "unsupported map entry");
      }
      const k = this.check(entry.keyKind.value);
      const v = this.check(entry.value);
      if (!["string", "int", "uint", "bool", "dyn"].includes(k.kind)) {
        this.fail(entry.keyKind.value, `a map key cannot be ${typeName(k)}`);
      }
      key = i === 0 ? k : compatible(key, k) ? join(key, k) : DYN;
      value = i === 0 ? v : compatible(value, v) ? join(value, v) : DYN;
    });
    return { kind: "map", key, value };
  }

  private comprehension(expr: Expr, c: KindValue<"comprehensionExpr">): CelTypeOf {
    if (!c.iterRange || !c.accuInit || !c.loopCondition || !c.loopStep || !c.result) {
      return this.fail(expr, "malformed macro");
    }
    if (c.iterVar2 !== "") return this.fail(expr, "two-variable macros are not supported");
    const range = this.check(c.iterRange);
    let iter: CelTypeOf;
    if (range.kind === "list") iter = range.element;
    else if (range.kind === "map") iter = range.key;
    else if (isDyn(range)) iter = DYN;
    else return this.fail(c.iterRange, `cannot iterate over ${typeName(range)}`);
    const accu = this.check(c.accuInit);
    this.scopes.push(new Map([[c.accuVar, accu]]));
    this.scopes.push(new Map([[c.iterVar, iter]]));
    try {
      const condition = this.check(c.loopCondition);
      if (condition.kind !== "bool" && !isDyn(condition)) {
        this.fail(c.loopCondition, `a macro condition must be a bool, not ${typeName(condition)}`);
      }
      const step = this.check(c.loopStep);
      if (!compatible(step, accu)) {
        this.fail(c.loopStep, `the macro's step gives ${typeName(step)}, not ${typeName(accu)}`);
      }
      this.scopes[this.scopes.length - 2].set(c.accuVar, join(accu, step));
    } finally {
      this.scopes.pop();
    }
    try {
      return this.check(c.result);
    } finally {
      this.scopes.pop();
    }
  }

  /** Makes an integer literal (or its negation) a double literal when `target` is a double. */
  private adapt(expr: Expr, type: CelTypeOf, target: CelTypeOf): CelTypeOf {
    if (target.kind !== "double" || type.kind !== "int") return type;
    const kind = expr.exprKind;
    if (kind.case === "constExpr" && kind.value.constantKind.case === "int64Value") {
      kind.value.constantKind = {
        case: "doubleValue",
        value: Number(kind.value.constantKind.value),
      };
      return DOUBLE;
    }
    if (kind.case === "callExpr" && kind.value.function === "-_" && kind.value.args.length === 1) {
      return this.adapt(kind.value.args[0], type, target) === DOUBLE ? DOUBLE : type;
    }
    return type;
  }

  /** Checks two numeric operands, turning an integer literal beside a double into a double. */
  private numericPair(args: Expr[]): [CelTypeOf, CelTypeOf] {
    let a = this.check(args[0]);
    let b = this.check(args[1]);
    a = this.adapt(args[0], a, b);
    b = this.adapt(args[1], b, a);
    return [a, b];
  }

  private call(expr: Expr, call: KindValue<"callExpr">): CelTypeOf {
    const fn = call.function;
    const args = call.args;
    const overload = (types: CelTypeOf[]) =>
      this.fail(
        expr,
        `found no matching overload for '${fn}' applied to '(${types.map(typeName).join(", ")})'`,
      );
    if (call.target) return this.method(expr, call.target, fn, args);
    switch (fn) {
      case "_&&_":
      case "_||_":
      case "@not_strictly_false":
      case "!_": {
        const types = args.map((a) => this.check(a));
        if (!types.every((t) => t.kind === "bool" || isDyn(t))) overload(types);
        return BOOL;
      }
      case "_?_:_": {
        const cond = this.check(args[0]);
        if (cond.kind !== "bool" && !isDyn(cond)) overload([cond]);
        let [a, b] = [this.check(args[1]), this.check(args[2])];
        a = this.adapt(args[1], a, b);
        b = this.adapt(args[2], b, a);
        if (!compatible(a, b)) overload([cond, a, b]);
        return join(a, b);
      }
      case "_==_":
      case "_!=_": {
        const [a, b] = this.numericPair(args);
        if (!compatible(a, b)) overload([a, b]);
        return BOOL;
      }
      case "-_": {
        const t = this.check(args[0]);
        if (t.kind !== "int" && t.kind !== "double" && !isDyn(t)) overload([t]);
        return t;
      }
      case "@in":
        return this.membership(expr, args);
      case "_[_]": {
        const container = this.check(args[0]);
        const index = this.check(args[1]);
        if (container.kind === "list") {
          if (index.kind !== "int" && index.kind !== "uint" && !isDyn(index)) {
            overload([container, index]);
          }
          return container.element;
        }
        if (container.kind === "map") {
          if (!compatible(container.key, index)) overload([container, index]);
          return container.value;
        }
        if (isDyn(container)) return DYN;
        return overload([container, index]);
      }
      case "size": {
        if (args.length !== 1) return overload(args.map((a) => this.check(a)));
        return this.size(expr, this.check(args[0]));
      }
      default:
        break;
    }
    if (COMPARISONS.has(fn)) {
      const [a, b] = this.numericPair(args);
      const ok =
        (isNumeric(a) && isNumeric(b)) ||
        isDyn(a) ||
        isDyn(b) ||
        (a.kind === b.kind && ["string", "bool", "bytes"].includes(a.kind));
      if (!ok) overload([a, b]);
      return BOOL;
    }
    if (ARITHMETIC.has(fn)) {
      const [a, b] = this.numericPair(args);
      if (isDyn(a) || isDyn(b)) return isDyn(a) ? b : a;
      const sameNumber = isNumeric(a) && a.kind === b.kind && (fn !== "_%_" || a.kind !== "double");
      const concat =
        fn === "_+_" &&
        ((a.kind === "string" && b.kind === "string") ||
          (a.kind === "bytes" && b.kind === "bytes") ||
          (a.kind === "list" && b.kind === "list" && compatible(a, b)));
      if (!sameNumber && !concat) overload([a, b]);
      return join(a, b);
    }
    if (fn in CONVERSIONS) {
      const types = args.map((a) => this.check(a));
      if (types.length !== 1) overload(types);
      const target = CONVERSIONS[fn];
      const source = types[0];
      const fine =
        isDyn(source) ||
        fn === "dyn" ||
        (fn === "bool" ? ["bool", "string"] : ["int", "uint", "double", "string"]).includes(
          source.kind,
        ) ||
        (fn === "string" && ["bool", "bytes"].includes(source.kind));
      if (!fine) overload(types);
      return target;
    }
    return this.fail(expr, `undeclared reference to function '${fn}'`);
  }

  private size(expr: Expr, t: CelTypeOf): CelTypeOf {
    if (!["string", "bytes", "list", "map", "dyn"].includes(t.kind)) {
      this.fail(expr, `found no matching overload for 'size' applied to '(${typeName(t)})'`);
    }
    return INT;
  }

  private method(expr: Expr, target: Expr, fn: string, args: Expr[]): CelTypeOf {
    const receiver = this.check(target);
    const types = args.map((a) => this.check(a));
    if (fn === "size" && types.length === 0) return this.size(expr, receiver);
    if (STRING_PREDICATES.has(fn)) {
      const fine =
        (receiver.kind === "string" || isDyn(receiver)) &&
        types.length === 1 &&
        (types[0].kind === "string" || isDyn(types[0]));
      if (!fine) {
        this.fail(
          expr,
          `found no matching overload for '${fn}' applied to '${typeName(receiver)}.(${types.map(typeName).join(", ")})'`,
        );
      }
      return BOOL;
    }
    return this.fail(expr, `undeclared reference to function '${fn}'`);
  }

  /** `x in list`, `k in map`, and `x in lists.<name>` (rewritten to a bound variable). */
  private membership(expr: Expr, args: Expr[]): CelTypeOf {
    const [value, container] = args;
    const listName = listReference(container);
    if (listName !== null && !this.isShadowed("lists")) {
      if (this.knownLists !== null && !this.knownLists.has(listName)) {
        this.fail(container, `unknown list '${listName}'`);
      }
      if (this.scopes.length > 0) {
        this.fail(expr, "a list lookup cannot be used inside a macro (all, exists, map, filter)");
      }
      const t = this.check(value);
      if (t.kind !== "string" && !isDyn(t)) {
        this.fail(expr, `list items are strings; cannot look up ${typeName(t)}`);
      }
      const index = this.memberships.length;
      this.memberships.push({ list: listName, value });
      this.listNames.add(listName);
      expr.exprKind = {
        case: "identExpr",
        value: { $typeName: "cel.expr.Expr.Ident", name: membershipVariable(index) },
      };
      return BOOL;
    }
    const c = this.check(container);
    let v = this.check(value);
    if (c.kind === "list") {
      v = this.adapt(value, v, c.element);
      if (!compatible(v, c.element))
        this.fail(
          expr,
          `found no matching overload for '@in' applied to '(${typeName(v)}, ${typeName(c)})'`,
        );
    } else if (c.kind === "map") {
      if (!compatible(v, c.key))
        this.fail(
          expr,
          `found no matching overload for '@in' applied to '(${typeName(v)}, ${typeName(c)})'`,
        );
    } else if (!isDyn(c)) {
      this.fail(
        expr,
        `found no matching overload for '@in' applied to '(${typeName(v)}, ${typeName(c)})'`,
      );
    }
    return BOOL;
  }
}

function isIdent(expr: Expr, name: string): boolean {
  return expr.exprKind.case === "identExpr" && expr.exprKind.value.name === name;
}

/** `lists.<name>` → `name`; anything else → null. */
function listReference(expr: Expr): string | null {
  const kind = expr.exprKind;
  if (kind.case !== "selectExpr" || kind.value.testOnly || !kind.value.operand) return null;
  return isIdent(kind.value.operand, "lists") ? kind.value.field : null;
}

/** Parser errors carry a location; the message starts with `<input>:line:column: `. */
function parseErrorPosition(error: unknown, text: string): Position {
  const location = (error as { location?: { start?: { offset?: unknown } } }).location;
  const offset = location?.start?.offset;
  return positionOf(text, typeof offset === "number" ? offset : 0);
}

/**
 * Parses, checks and rewrites a rule expression; throws {@link ExpressionError} with the
 * position of the problem. Pure: the caller says which lists exist.
 */
export function checkExpression(text: string, knownLists: ReadonlySet<string> | null): CheckedRule {
  let parsed;
  try {
    parsed = parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/^<input>:\d+:\d+: /, "") : "";
    throw new ExpressionError(`syntax error: ${message}`, parseErrorPosition(error, text));
  }
  const positions: Record<string, number> = {};
  for (const [id, offset] of Object.entries(parsed.sourceInfo?.positions ?? {})) {
    positions[id] = offset;
  }
  return new Checker(text, positions, knownLists).run(parsed.expr);
}
