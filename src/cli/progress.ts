/** A one-line progress indicator on stderr, only on a TTY, redrawn at most 10 times a second. */
export function progressReporter(
  label: string,
  expectedBytes?: number,
): { update: (bytes: number) => void; done: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, done: () => {} };
  let lastDraw = 0;
  let drawn = false;
  return {
    update(bytes) {
      const now = Date.now();
      if (now - lastDraw < 100) return;
      lastDraw = now;
      drawn = true;
      const megabytes = (bytes / 1e6).toFixed(0);
      const percent = expectedBytes ? ` ${Math.min(99, Math.round((bytes / expectedBytes) * 100))}%` : '';
      process.stderr.write(`\r${label}${percent} (${megabytes} MB read)\x1b[K`);
    },
    done() {
      if (drawn) process.stderr.write('\r\x1b[K');
    },
  };
}
