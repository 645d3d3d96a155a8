// supabase/config.toml must describe the same project the migrations and seed build:
// the same buckets, test OTPs for exactly the demo phones, a folder for every
// configured function, and hooks that point at things that exist.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../scripts/db/local.ts';
import { db } from '../harness/db.ts';

interface BucketConfig {
  public?: boolean;
  file_size_limit?: string | number;
  allowed_mime_types?: string[];
}

interface Config {
  storage: { buckets?: Record<string, BucketConfig> };
  auth: {
    sms: { test_otp?: Record<string, string> };
    hook: Record<string, { enabled?: boolean; uri?: string; secrets?: string }>;
  };
  functions?: Record<string, { verify_jwt?: boolean }>;
}

const config = parse(await readFile(path.join(projectRoot, 'supabase/config.toml'), 'utf8')) as unknown as Config;
const seed = await readFile(path.join(projectRoot, 'supabase/seed.sql'), 'utf8');

/**
 * Bytes of a size the way the Supabase CLI reads it (docker/go-units RAMInBytes):
 * a plain number, or a number with a unit where k, m, g, t, p are powers of 1024
 * whether written "MB" or "MiB".
 */
function sizeInBytes(size: string | number): number {
  if (typeof size === 'number') return size;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?\s*$/i.exec(size);
  if (!match) throw new Error(`not a size: ${size}`);
  const power = ' kmgtp'.indexOf((match[2] || ' ').toLowerCase());
  return Math.trunc(Number(match[1]) * 1024 ** power);
}

describe('sizeInBytes reads sizes as the Supabase CLI does', () => {
  it.each<[string | number, number]>([
    [5000000, 5000000],
    ['5000000', 5000000],
    ['5MB', 5242880],
    ['5MiB', 5242880],
    ['2MiB', 2097152],
    ['32kB', 32768],
    ['1GiB', 1073741824],
  ])('%j → %i', (input, bytes) => {
    expect(sizeInBytes(input)).toBe(bytes);
  });
});

describe('storage buckets', () => {
  const buckets = Object.entries(config.storage.buckets ?? {});

  it('config.toml configures at least one bucket', () => {
    expect(buckets.length).toBeGreaterThan(0);
  });

  it('the buckets in config.toml are exactly the buckets the migrations create', async () => {
    const rows = await db()<{ id: string }[]>`select id from storage.buckets order by id`;
    expect(rows.map((r) => r.id)).toEqual(buckets.map(([id]) => id).sort());
  });

  it.each(buckets)('bucket %s matches its row in storage.buckets', async (id, bucket) => {
    const [row] = await db()<{ public: boolean; file_size_limit: string | null; allowed_mime_types: string[] | null }[]>`
      select public, file_size_limit::text, allowed_mime_types from storage.buckets where id = ${id}`;
    expect(row).toBeDefined();
    expect(row!.public).toBe(bucket.public ?? false);
    expect(row!.file_size_limit === null ? null : Number(row!.file_size_limit)).toBe(
      bucket.file_size_limit === undefined ? null : sizeInBytes(bucket.file_size_limit),
    );
    expect([...(row!.allowed_mime_types ?? [])].sort()).toEqual([...(bucket.allowed_mime_types ?? [])].sort());
  });
});

describe('test OTPs', () => {
  const testOtp = config.auth.sms.test_otp ?? {};

  it('are given for exactly the phones of the demo users seed.sql creates', async () => {
    // The demo users are the auth.users rows whose ids seed.sql spells out.
    const ids = [...new Set(seed.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi) ?? [])];
    const rows = await db()<{ phone: string }[]>`
      select phone from auth.users where id = any(${ids}::uuid[]) and phone is not null order by phone`;
    expect(rows.length).toBeGreaterThan(0);
    expect(Object.keys(testOtp).sort()).toEqual(rows.map((r) => r.phone).sort());
  });

  it('are six-digit codes keyed by phone numbers as Auth stores them (no +)', () => {
    for (const [phone, code] of Object.entries(testOtp)) {
      expect(phone).toMatch(/^[1-9][0-9]{1,14}$/);
      expect(code).toMatch(/^[0-9]{6}$/);
    }
  });
});

describe('edge functions', () => {
  const functions = Object.keys(config.functions ?? {});

  it.each(functions)('[functions.%s] has a folder with index.ts in supabase/functions', (name) => {
    const entry = path.join('supabase/functions', name, 'index.ts');
    expect(existsSync(path.join(projectRoot, entry)), `${entry} is missing`).toBe(true);
  });

  it('the send-sms hook calls a configured function that takes no user JWT', () => {
    const hook = config.auth.hook.send_sms;
    expect(hook?.enabled).toBe(true);
    const name = /\/functions\/v1\/([a-z0-9-]+)$/.exec(hook?.uri ?? '')?.[1];
    expect(name).toBeDefined();
    expect(config.functions?.[name!]?.verify_jwt).toBe(false);
    expect(hook?.secrets).toMatch(/^env\([A-Z_]+\)$/);
  });
});

describe('the custom access token hook', () => {
  const hook = config.auth.hook.custom_access_token;

  it('is enabled and points at a Postgres function', () => {
    expect(hook?.enabled).toBe(true);
    expect(hook?.uri).toMatch(/^pg-functions:\/\/postgres\/[a-z_]+\/[a-z_]+$/);
  });

  it('names an existing function(jsonb) returning jsonb that only Auth may call', async () => {
    const [, schema, name] = /^pg-functions:\/\/postgres\/([a-z_]+)\/([a-z_]+)$/.exec(hook?.uri ?? '') ?? [];
    const signature = `${schema}.${name}(jsonb)`;
    const [row] = await db()`
      select pg_get_function_result(to_regprocedure(${signature})) as returns,
             has_function_privilege('supabase_auth_admin', to_regprocedure(${signature}), 'execute') as auth_admin,
             has_function_privilege('authenticated', to_regprocedure(${signature}), 'execute') as authenticated,
             has_function_privilege('anon', to_regprocedure(${signature}), 'execute') as anon`;
    expect(row).toEqual({ returns: 'jsonb', auth_admin: true, authenticated: false, anon: false });
  });
});
