/** A logger for long scripts: `[name 12.3s] message` on stderr, seconds since it was made. */
export function timedLog(name: string): (message: string) => void {
  const t0 = performance.now();
  return (message) =>
    console.error(`[${name} ${((performance.now() - t0) / 1000).toFixed(1)}s] ${message}`);
}
