import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createUser, issueClaims, rollback, type Tx } from '../harness/db.ts';

// The claims Supabase Auth requires every hook to hand back.
const REQUIRED = ['aud', 'exp', 'iat', 'sub', 'email', 'phone', 'role', 'aal', 'session_id', 'is_anonymous'];

async function callHook(tx: Tx, event: unknown): Promise<{ claims: Record<string, unknown> }> {
  await tx`select set_config('role', 'supabase_auth_admin', true)`;
  const [row] = await tx`select public.custom_access_token_hook(${JSON.stringify(event)}::text::jsonb) as result`;
  await tx`reset role`;
  return row!.result;
}

describe('custom access token hook', () => {
  it('adds roles, market and status and keeps every claim Auth requires', async () => {
    await rollback(async (tx) => {
      const kwame = await createUser(tx, { roles: ['provider'], metadata: { market: 'uz' } });
      const claims = kwame.claims;
      for (const name of REQUIRED) expect(claims, name).toHaveProperty(name);
      expect(claims).toMatchObject({
        sub: kwame.id,
        role: 'authenticated',
        phone: kwame.phone,
        user_roles: ['customer', 'provider'],
        market: 'uz',
        account_status: 'active',
      });
    });
  });

  it('returns valid claims for a user with no roles at all', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await tx`delete from public.user_roles where user_id = ${ama.id}`;
      const claims = await issueClaims(tx, ama.id);
      for (const name of REQUIRED) expect(claims, name).toHaveProperty(name);
      expect(claims.user_roles).toEqual([]);
      expect(claims.role).toBe('authenticated');
    });
  });

  it('passes claims through untouched, apart from its own, for a user it does not know', async () => {
    await rollback(async (tx) => {
      const input = { sub: randomUUID(), aud: 'authenticated', role: 'authenticated', exp: 1, iat: 0, aal: 'aal1' };
      const result = await callHook(tx, { user_id: input.sub, claims: input, authentication_method: 'otp' });
      expect(result.claims).toEqual({ ...input, user_roles: [], market: null, account_status: 'active' });
    });
  });

  it('reports a suspended account in the token', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await tx`update public.accounts set status = 'suspended', status_reason = 'fraud' where id = ${ama.id}`;
      expect((await issueClaims(tx, ama.id)).account_status).toBe('suspended');
    });
  });

  it('is executable by supabase_auth_admin only', async () => {
    const [row] = await rollback((tx) => tx`
      select has_function_privilege('supabase_auth_admin', 'public.custom_access_token_hook(jsonb)', 'execute') as auth_admin,
             has_function_privilege('authenticated', 'public.custom_access_token_hook(jsonb)', 'execute') as authenticated,
             has_function_privilege('anon', 'public.custom_access_token_hook(jsonb)', 'execute') as anon`);
    expect(row).toEqual({ auth_admin: true, authenticated: false, anon: false });
  });
});
