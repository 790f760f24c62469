/**
 * A one-line progress bar on stderr (redrawn at most 5 times a second), with rate and ETA.
 * Outside a terminal it prints a plain line every 10 %.
 */
export function progressBar(label: string, total: number) {
  const started = performance.now();
  const tty = process.stderr.isTTY;
  let lastDraw = 0;
  let lastDecile = -1;
  const render = (done: number) => {
    const elapsed = (performance.now() - started) / 1000;
    const rate = done / Math.max(elapsed, 1e-9);
    const eta = rate > 0 ? (total - done) / rate : Infinity;
    const width = 30;
    const filled = Math.round((done / Math.max(total, 1)) * width);
    const bar = `${"#".repeat(filled)}${"-".repeat(width - filled)}`;
    const pct = ((100 * done) / Math.max(total, 1)).toFixed(1);
    const etaText = Number.isFinite(eta) ? `${Math.ceil(eta)} s` : "?";
    return `${label} [${bar}] ${pct}% ${done}/${total} ${rate.toFixed(0)}/s ETA ${etaText}`;
  };
  return {
    update(done: number) {
      const now = performance.now();
      if (tty) {
        if (now - lastDraw < 200 && done < total) return;
        lastDraw = now;
        process.stderr.write(`\r${render(done)}`);
      } else {
        const decile = Math.floor((10 * done) / Math.max(total, 1));
        if (decile !== lastDecile) {
          lastDecile = decile;
          process.stderr.write(`${render(done)}\n`);
        }
      }
    },
    done() {
      if (tty) process.stderr.write("\n");
    },
  };
}
