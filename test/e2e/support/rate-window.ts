/**
 * The Rate Limiting binding counts in fixed windows (one minute here; Miniflare's simulation resets at
 * each whole minute): a test that counts up to a limit starts where it fits in one window.
 */
export async function startInOneRateWindow(needMs: number): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await new Promise((resolve) => setTimeout(resolve, left + 100));
}
