/** Minimal `--name value` / `--name=value` / `--flag` command-line parsing for the ML scripts. */
export interface ParsedArgs {
  str(name: string): string;
  int(name: string): number;
  number(name: string): number;
  has(name: string): boolean;
}

export function parseArgs(argv: readonly string[], defaults: Record<string, string>): ParsedArgs {
  const values = new Map<string, string>(Object.entries(defaults));
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf("=");
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (!values.has(name)) {
      throw new Error(`unknown option --${name} (known: ${[...values.keys()].join(", ")})`);
    }
    let value: string;
    if (eq >= 0) value = a.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) value = argv[++i];
    else value = "true";
    values.set(name, value);
    given.add(name);
  }
  const get = (name: string): string => {
    const v = values.get(name);
    if (v === undefined) throw new Error(`unknown option --${name}`);
    return v;
  };
  return {
    str: get,
    int(name) {
      const v = Number(get(name));
      if (!Number.isInteger(v)) throw new Error(`--${name} must be an integer`);
      return v;
    },
    number(name) {
      const v = Number(get(name));
      if (!Number.isFinite(v)) throw new Error(`--${name} must be a number`);
      return v;
    },
    has: (name) => given.has(name),
  };
}
