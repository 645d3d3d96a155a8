// The functions as they really run: Deno processes behind the same gateway that
// `npm run dev` uses, with verify_jwt from config.toml.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { apiKeys, LOCAL_JWT_SECRET, signJwt } from '../../scripts/db/auth.ts';
import { serveFunctions, type FunctionsServer } from '../../scripts/dev/functions.ts';
import { createUser, db, deleteUsers, type TestUser } from '../harness/db.ts';

let server: FunctionsServer;
let user: TestUser;

beforeAll(async () => {
  server = await serveFunctions({
    port: 0,
    jwtSecret: LOCAL_JWT_SECRET,
    only: ['me'],
    env: { SUPABASE_DB_URL: inject('postgresUrl'), SOKO_JWT_SECRET: LOCAL_JWT_SECRET, SUPABASE_URL: 'http://127.0.0.1:1' },
  });
  user = await createUser(db(), { metadata: { market: 'uz', display_name: 'Dilnoza' } });
}, 240_000);

afterAll(async () => {
  await deleteUsers(user);
  await server?.stop();
});

describe('edge functions under Deno', () => {
  it('me answers a signed-in user through the gateway', async () => {
    const response = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${await signJwt(user.claims)}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: user.id, display_name: 'Dilnoza', market: { code: 'uz', currency_code: 'UZS' } });
  });

  it('the gateway refuses a request without a JWT where verify_jwt is on', async () => {
    const response = await fetch(`${server.url}/me`);
    expect(response.status).toBe(401);
    expect((await response.json()).error.code).toBe('not_authenticated');
  });

  it('the function itself refuses the anon key the gateway lets through', async () => {
    const { anon } = await apiKeys();
    const response = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${anon}` } });
    expect(response.status).toBe(401);
  });

  it('unknown functions are 404', async () => {
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });
});
