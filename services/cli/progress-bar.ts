/**
 * A progress bar on stderr for long CLI work. On a terminal it redraws one line; otherwise (CI,
 * pipes) it prints a line at every tenth, so logs stay readable.
 */
export function createProgressBar(label: string, stream: NodeJS.WriteStream = process.stderr) {
  const started = Date.now();
  let lastTenth = -1;
  let lastDraw = 0;
  return {
    update(done: number, total: number) {
      const fraction = total > 0 ? Math.min(1, done / total) : 1;
      const seconds = (Date.now() - started) / 1000;
      const rate = seconds > 0 ? done / seconds : 0;
      const eta = rate > 0 ? Math.max(0, (total - done) / rate) : 0;
      const text = `${label} ${(fraction * 100).toFixed(0).padStart(3)}% ${done}/${total}  ${rate.toFixed(0)}/s  ETA ${eta.toFixed(0)}s`;
      if (stream.isTTY) {
        if (Date.now() - lastDraw < 100 && fraction < 1) return;
        lastDraw = Date.now();
        const width = 24;
        const filled = Math.round(fraction * width);
        stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\u001b[K`);
      } else {
        const tenth = Math.floor(fraction * 10);
        if (tenth === lastTenth) return;
        lastTenth = tenth;
        stream.write(`${text}\n`);
      }
    },
    finish() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}
