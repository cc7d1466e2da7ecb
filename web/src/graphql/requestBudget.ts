/*
 * A local mirror of the account's per-second request bucket (seed 004, FREE tier: 2 a
 * second, a burst of 10; engine/accounts/ratelimit.py). Every signed-in request spends
 * from it; background reads (panel loads and refreshes) wait until a reserve is left, so
 * the user's own actions — a faucet, an order, the Admin page — never meet a 429 caused
 * by the app's own traffic (issue #8). Higher tiers only see reads paced a little.
 */
const RATE_PER_SECOND = 2;
const BURST = 10;
/** Tokens kept for the user's own requests. */
const RESERVE = 5;

let tokens = BURST;
let updatedAt = Date.now();

function refill(): void {
  const now = Date.now();
  tokens = Math.min(BURST, tokens + ((now - updatedAt) / 1000) * RATE_PER_SECOND);
  updatedAt = now;
}

/** Counts one request the user asked for (it is sent at once, whatever the budget). */
export function spendForeground(): void {
  refill();
  tokens = Math.max(-BURST, tokens - 1);
}

/** Resolves when a background read may go without eating into the user's reserve. */
export async function spendBackground(): Promise<void> {
  for (;;) {
    refill();
    if (tokens >= RESERVE + 1) {
      tokens -= 1;
      return;
    }
    const waitMs = ((RESERVE + 1 - tokens) / RATE_PER_SECOND) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.ceil(waitMs)));
  }
}
