import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemoryClickStore } from '../../src/gateways/click-store.ts';
import { GATEWAY_IDS, gatewayFromEnv } from '../../src/gateways/index.ts';
import { MemoryPaymeStore } from '../../src/gateways/payme-store.ts';

function exampleEnv(): Map<string, string> {
  const text = readFileSync(new URL('../../supabase/functions/.env.example', import.meta.url), 'utf8');
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) values.set(match[1]!, match[2]!);
  }
  return values;
}

const deps = { paymeStore: new MemoryPaymeStore(), clickStore: new MemoryClickStore() };

describe('gateways built from environment variables', () => {
  it.each(GATEWAY_IDS)('builds %s from the names in supabase/functions/.env.example', (id) => {
    const example = exampleEnv();
    const read: string[] = [];
    const gateway = gatewayFromEnv(
      id,
      (name) => {
        read.push(name);
        return example.get(name);
      },
      deps,
    );
    expect(gateway.id).toBe(id);
    for (const name of read) expect(example.has(name), `${name} is missing from .env.example`).toBe(true);
  });

  it('names a missing variable without echoing any value', () => {
    const example = exampleEnv();
    const env = (name: string) => (name === 'PAYSTACK_SECRET_KEY' ? undefined : example.get(name));
    expect(() => gatewayFromEnv('paystack', env)).toThrow('PAYSTACK_SECRET_KEY is not set');
    const withSecret = (name: string) => (name === 'BKASH_APP_SECRET' ? 'very-secret' : name === 'BKASH_USERNAME' ? undefined : example.get(name));
    const error = (() => {
      try {
        gatewayFromEnv('bkash', withSecret);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error?.message).toBe('BKASH_USERNAME is not set');
    expect(error?.message).not.toContain('very-secret');
  });

  it('refuses to build Payme or Click without their store', () => {
    const example = exampleEnv();
    expect(() => gatewayFromEnv('payme', (name) => example.get(name))).toThrow(/PaymeStore/);
    expect(() => gatewayFromEnv('click', (name) => example.get(name))).toThrow(/ClickStore/);
  });
});
