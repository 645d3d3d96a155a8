import { delay, http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { GatewayError, GatewayTimeoutError } from '../../src/gateways/errors.ts';
import { send } from '../../src/gateways/http.ts';
import { TokenCache } from '../../src/gateways/token-cache.ts';
import { clock, fastTransport, server, useMockServer } from './helpers.ts';

useMockServer();

const URL = 'https://gateway.test/thing';

describe('outbound calls', () => {
  it('retries an idempotent call after 5xx and returns the eventual answer', async () => {
    let attempts = 0;
    server.use(
      http.get(URL, () => {
        attempts += 1;
        return attempts < 3 ? new HttpResponse(null, { status: 503 }) : HttpResponse.json({ ok: true });
      }),
    );
    const response = await send({ gateway: 'fake', operation: 'thing', method: 'GET', url: URL, idempotent: true }, fastTransport);
    expect(attempts).toBe(3);
    expect(response.body).toEqual({ ok: true });
  });

  it('never retries a call that is not idempotent, even after a 5xx', async () => {
    let attempts = 0;
    server.use(
      http.post(URL, () => {
        attempts += 1;
        return new HttpResponse(null, { status: 502 });
      }),
    );
    const response = await send({ gateway: 'fake', operation: 'thing', method: 'POST', url: URL, json: {}, idempotent: false }, fastTransport);
    expect(attempts).toBe(1);
    expect(response.status).toBe(502);
  });

  it('bounds retries: the last 5xx is returned after 1 + retries attempts', async () => {
    let attempts = 0;
    server.use(
      http.get(URL, () => {
        attempts += 1;
        return new HttpResponse(null, { status: 500 });
      }),
    );
    const response = await send({ gateway: 'fake', operation: 'thing', method: 'GET', url: URL, idempotent: true }, { ...fastTransport, retries: 1 });
    expect(attempts).toBe(2);
    expect(response.status).toBe(500);
  });

  it('gives up after the timeout with an "outcome unknown" timeout error', async () => {
    let attempts = 0;
    server.use(
      http.post(URL, async () => {
        attempts += 1;
        await delay(2_000);
        return HttpResponse.json({});
      }),
    );
    const error = await send(
      { gateway: 'fake', operation: 'thing', method: 'POST', url: URL, json: {}, idempotent: false },
      { ...fastTransport, timeoutMs: 50 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayTimeoutError);
    expect(error).toMatchObject({ code: 'gateway_timeout', status: 504, details: { outcome: 'unknown' } });
    expect(attempts).toBe(1);
  });

  it('reports a broken connection as a gateway error without the request in it', async () => {
    server.use(http.get(URL, () => HttpResponse.error()));
    const log: Array<Record<string, unknown>> = [];
    const error = await send(
      { gateway: 'fake', operation: 'thing', method: 'GET', url: URL, headers: { authorization: 'Bearer s3cret' }, idempotent: true },
      { ...fastTransport, log: (_m, fields) => log.push(fields) },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(JSON.stringify(error)).not.toContain('s3cret');
    expect(log).toHaveLength(3);
    expect(JSON.stringify(log)).not.toContain('s3cret');
  });
});

describe('the token cache', () => {
  it('mints one token for many concurrent callers', async () => {
    let minted = 0;
    const cache = new TokenCache(async () => {
      minted += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return { accessToken: `t${minted}`, expiresInSeconds: 3600 };
    });
    const tokens = await Promise.all(Array.from({ length: 25 }, () => cache.get()));
    expect(minted).toBe(1);
    expect(new Set(tokens)).toEqual(new Set(['t1']));
  });

  it('refreshes ahead of expiry, not after', async () => {
    const time = clock();
    let minted = 0;
    const cache = new TokenCache(async () => ({ accessToken: `t${++minted}`, expiresInSeconds: 3600 }), { now: time.now, refreshAheadMs: 60_000 });
    expect(await cache.get()).toBe('t1');
    time.advance(3_539_000); // 59 min in: still 1 s before the refresh margin
    expect(await cache.get()).toBe('t1');
    time.advance(2_000); // inside the last minute
    expect(await cache.get()).toBe('t2');
    expect(minted).toBe(2);
  });

  it('does not cache a failed mint, and the next caller tries again', async () => {
    let calls = 0;
    const cache = new TokenCache(async () => {
      calls += 1;
      if (calls === 1) throw new Error('down');
      return { accessToken: 'ok', expiresInSeconds: 60 };
    });
    await expect(cache.get()).rejects.toThrow('down');
    expect(await cache.get()).toBe('ok');
  });

  it('drops only the token that was rejected, so a burst of 401s refreshes once', async () => {
    let minted = 0;
    const cache = new TokenCache(async () => ({ accessToken: `t${++minted}`, expiresInSeconds: 3600 }));
    const stale = await cache.get();
    cache.invalidate(stale);
    const fresh = await cache.get();
    cache.invalidate(stale); // a late 401 for the old token
    expect(await cache.get()).toBe(fresh);
    expect(minted).toBe(2);
  });

  it('hands the last refresh token to the next mint', async () => {
    const seen: Array<string | undefined> = [];
    const time = clock();
    const cache = new TokenCache(
      async (refreshToken) => {
        seen.push(refreshToken);
        return { accessToken: 'a', expiresInSeconds: 100, refreshToken: `r${seen.length}` };
      },
      { now: time.now },
    );
    await cache.get();
    time.advance(200_000);
    await cache.get();
    expect(seen).toEqual([undefined, 'r1']);
  });
});
