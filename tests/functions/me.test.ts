import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { LOCAL_JWT_SECRET, signJwt } from '../../scripts/db/auth.ts';
import { sharedSecretVerifier } from '../../src/auth/jwt.ts';
import { createHandler } from '../../supabase/functions/me/handler.ts';
import { asUser, createUser, db, deleteUsers, type TestUser } from '../harness/db.ts';

// The function connects as `postgres`, exactly like SUPABASE_DB_URL on Supabase.
const sql = postgres(inject('postgresUrl'), { max: 2, onnotice: () => undefined });
const handler = createHandler({ sql, verifier: sharedSecretVerifier(LOCAL_JWT_SECRET), log: () => undefined });
const created: TestUser[] = [];

afterAll(async () => {
  await deleteUsers(...created);
  await sql.end();
});

async function newUser(roles: ('provider' | 'admin')[] = []): Promise<TestUser> {
  const user = await createUser(db(), { roles, metadata: { display_name: 'Efua', market: 'gh' } });
  created.push(user);
  return user;
}

function get(token?: string, method = 'GET'): Promise<Response> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return handler(new Request('http://localhost/me', { method, headers }));
}

describe('GET /functions/v1/me', () => {
  it("answers with the caller's profile, private fields, roles and market", async () => {
    const user = await newUser(['provider']);
    const response = await get(await signJwt(user.claims));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      id: user.id,
      display_name: 'Efua',
      phone: user.phone,
      status: 'active',
      roles: ['customer', 'provider'],
      market: { code: 'gh', currency_code: 'GHS', currency_minor_units: 2 },
    });
  });

  it('reads as the caller, so a suspended account shows as suspended', async () => {
    const admin = await newUser(['admin']);
    const user = await newUser();
    await asUser(db(), admin, (q) => q`select public.suspend_user(${user.id}, 'test')`);
    const response = await get(await signJwt(user.claims));
    expect((await response.json()).status).toBe('suspended');
  });

  it.each([
    ['no token', undefined],
    ['a malformed token', 'not-a-jwt'],
  ])('refuses %s with 401 and the error envelope', async (_, token) => {
    const response = await get(token);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: 'not_authenticated', message: 'Sign in to do this.', details: {} } });
  });

  it('refuses a token signed with another secret', async () => {
    const user = await newUser();
    const forged = await signJwt(user.claims, 'another-secret-that-is-at-least-32-characters');
    const response = await get(forged);
    expect(response.status).toBe(401);
    expect((await response.json()).error.code).toBe('not_authenticated');
  });

  it('refuses an expired token', async () => {
    const user = await newUser();
    const expired = await signJwt(user.claims, LOCAL_JWT_SECRET, '-1m');
    expect((await get(expired)).status).toBe(401);
  });

  it('refuses the anon key: there is no caller to describe', async () => {
    const anon = await signJwt({ role: 'anon', iss: 'supabase-demo' });
    expect((await get(anon)).status).toBe(401);
  });

  it('answers POST as GET (functions.invoke posts by default), 405 to other methods, 204 to CORS preflight', async () => {
    const user = await newUser();
    const token = await signJwt(user.claims);
    const post = await get(token, 'POST');
    expect(post.status).toBe(200);
    expect((await post.json()).id).toBe(user.id);
    const put = await get(token, 'PUT');
    expect(put.status).toBe(405);
    expect(await put.json()).toMatchObject({ error: { code: 'method_not_allowed', details: { allowed: ['GET', 'POST'] } } });
    const preflight = await get(undefined, 'OPTIONS');
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
  });
});
