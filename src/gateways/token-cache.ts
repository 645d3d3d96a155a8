// Access tokens (MTN MoMo, bKash, Paymob's legacy API) minted once and shared.
//
// - Refreshed ahead of expiry, so no request leaves with a token about to lapse.
// - Concurrent callers share one in-flight refresh: N requests at a cold start cause
//   one token request, not N (gateways rate-limit token minting).
// - A failed refresh is not cached: the next caller tries again.
// - `invalidate(token)` after a 401 drops that token only, so a burst of 401s on the
//   same stale token triggers one refresh.

export interface TokenGrant {
  accessToken: string;
  /** Lifetime from now, in seconds, as the gateway reported it. */
  expiresInSeconds: number;
  /** bKash hands one out to renew without re-sending credentials. */
  refreshToken?: string | undefined;
}

interface TokenState {
  accessToken: string;
  /** When to stop using it: expiry minus the refresh-ahead margin. */
  expiresAt: number;
}

export interface TokenCacheOptions {
  now?: () => number;
  /** Refresh this long before expiry; default 60 s, capped at a tenth of the lifetime. */
  refreshAheadMs?: number;
}

export class TokenCache {
  private current: TokenState | undefined;
  private refreshToken: string | undefined;
  private inflight: Promise<TokenState> | undefined;
  private readonly now: () => number;
  private readonly refreshAheadMs: number;

  /** `mint` gets the last refresh token the gateway handed out, if any. */
  constructor(
    private readonly mint: (refreshToken: string | undefined) => Promise<TokenGrant>,
    options: TokenCacheOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.refreshAheadMs = options.refreshAheadMs ?? 60_000;
  }

  async get(): Promise<string> {
    const current = this.current;
    if (current && this.now() < current.expiresAt) return current.accessToken;
    return (await this.refresh()).accessToken;
  }

  /** Forget `accessToken` if it is still the cached one (after the gateway rejected it). */
  invalidate(accessToken: string): void {
    if (this.current?.accessToken === accessToken) this.current = undefined;
  }

  private refresh(): Promise<TokenState> {
    this.inflight ??= (async () => {
      try {
        const issuedAt = this.now();
        const grant = await this.mint(this.refreshToken);
        const lifetimeMs = Math.max(0, grant.expiresInSeconds * 1000);
        const ahead = Math.min(this.refreshAheadMs, lifetimeMs / 10);
        this.current = { accessToken: grant.accessToken, expiresAt: issuedAt + lifetimeMs - ahead };
        if (grant.refreshToken) this.refreshToken = grant.refreshToken;
        return this.current;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}
