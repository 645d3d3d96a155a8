// The functions as they really run: Deno processes behind the same gateway that
// `npm run dev` uses, with verify_jwt from config.toml.
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { apiKeys, LOCAL_JWT_SECRET, signJwt } from '../../scripts/db/auth.ts';
import { serveFunctions, type FunctionsServer } from '../../scripts/dev/functions.ts';
import { createUser, db, deleteUsers, type TestUser } from '../harness/db.ts';

let server: FunctionsServer;
let user: TestUser;
let admin: TestUser;

beforeAll(async () => {
  server = await serveFunctions({
    port: 0,
    jwtSecret: LOCAL_JWT_SECRET,
    only: ['me', 'admin-export'],
    env: { SUPABASE_DB_URL: inject('postgresUrl'), SOKO_JWT_SECRET: LOCAL_JWT_SECRET, SUPABASE_URL: 'http://127.0.0.1:1' },
  });
  user = await createUser(db(), { metadata: { market: 'uz', display_name: 'Dilnoza' } });
  admin = await createUser(db(), { roles: ['admin'], metadata: { market: 'uz', display_name: '=cmd|calc' } });
}, 240_000);

afterAll(async () => {
  await deleteUsers(user, admin);
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

  it('admin-export streams CSV to an admin', async () => {
    const response = await fetch(`${server.url}/admin-export/users?market=uz`, {
      headers: { authorization: `Bearer ${await signJwt(admin.claims)}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows: Record<string, string>[] = parse(new TextDecoder().decode(bytes.slice(3)), { columns: true });
    expect(rows.find((r) => r.id === admin.id)?.display_name).toBe("'=cmd|calc");
    expect(rows.find((r) => r.id === user.id)?.display_name).toBe('Dilnoza');
  });

  it('admin-export gives a customer 403', async () => {
    const response = await fetch(`${server.url}/admin-export/users`, { headers: { authorization: `Bearer ${await signJwt(user.claims)}` } });
    expect(response.status).toBe(403);
    expect((await response.json()).error.code).toBe('forbidden');
  });
});
