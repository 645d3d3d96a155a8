// Shared test plumbing: one msw server per test file, a recorder for the exact requests
// an adapter sends, and fast transport settings (no real waiting between retries).
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { PaymentRequest, TransportOptions } from '../../src/gateways/types.ts';

export const server = setupServer();

export function useMockServer(): void {
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  json: unknown;
}

/** Collects every request a handler sees, with its body read from a clone. */
export function recorder() {
  const calls: RecordedRequest[] = [];
  return {
    calls,
    async record(request: Request): Promise<RecordedRequest> {
      const body = await request.clone().text();
      let json: unknown;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const entry = { method: request.method, url: request.url, headers: Object.fromEntries(request.headers), body, json };
      calls.push(entry);
      return entry;
    },
  };
}

export const fastTransport: TransportOptions = { retryDelayMs: 0, timeoutMs: 1_000, retries: 2 };

/** A controllable clock. */
export function clock(start = Date.UTC(2026, 10, 21, 9, 0, 0)) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    set(ms: number) {
      now = ms;
    },
  };
}

export function payment(overrides: Partial<PaymentRequest> = {}): PaymentRequest {
  return {
    paymentId: crypto.randomUUID(),
    amountMinor: 1500,
    currency: 'GHS',
    description: 'Tomatoes from Ama',
    customer: { phone: '+233241234567', email: 'kofi@example.com', name: 'Kofi Mensah' },
    ...overrides,
  };
}
