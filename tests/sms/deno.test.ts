// The Send SMS hook as it really runs: its index.ts under Deno, behind the gateway
// `npm run dev` uses (verify_jwt = false for send-sms), reading markets from the database.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LOCAL_JWT_SECRET } from '../../scripts/db/auth.ts';
import { serveFunctions, type FunctionsServer } from '../../scripts/dev/functions.ts';
import { hookPayload, newHookSecret, signedRequest } from './helpers.ts';

interface Running {
  server: FunctionsServer;
  secret: string;
  lines: string[];
}

async function start(env: Record<string, string>): Promise<Running> {
  const secret = newHookSecret();
  const lines: string[] = [];
  const server = await serveFunctions({
    port: 0,
    jwtSecret: LOCAL_JWT_SECRET,
    only: ['send-sms'],
    env: { SUPABASE_DB_URL: inject('postgresUrl'), SEND_SMS_HOOK_SECRET: secret, ...env },
    log: (line) => lines.push(line),
  });
  return { server, secret, lines };
}

async function call(running: Running, body: unknown, secret = running.secret): Promise<Response> {
  const request = signedRequest(body, { secret, timestamp: Math.floor(Date.now() / 1000) });
  return await fetch(`${running.server.url}/send-sms`, { method: 'POST', headers: request.headers, body: await request.text() });
}

async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !check(); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
}

let development: Running;
let production: Running;

beforeAll(async () => {
  [development, production] = await Promise.all([
    // A local stack with no provider credentials: every market goes to the console.
    start({ SUPABASE_URL: 'http://127.0.0.1:1' }),
    start({ SUPABASE_URL: 'https://example.supabase.co', SMS_PROVIDER_OVERRIDE: 'console' }),
  ]);
}, 240_000);

afterAll(async () => {
  await Promise.all([development?.server.stop(), production?.server.stop()]);
});

describe('the send-sms function under Deno', () => {
  it('in development, delivers the code in the market language through the console provider', async () => {
    const response = await call(development, hookPayload('998901234567', '604215', { locale: 'uz-Cyrl' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({});
    await eventually(() => development.lines.some((line) => line.includes('[sms:console]')));
    expect(development.lines).toContainEqual(expect.stringContaining('[sms:console] to +998901234567: 604215 - Xizmat тасдиқлаш кодингиз.'));
  });

  it('refuses a forged request with 401', async () => {
    const response = await call(development, hookPayload('233201234567', '604216'), newHookSecret());
    expect(response.status).toBe(401);
  });

  it('in production, never prints the code or the number, even through the console provider', async () => {
    const response = await call(production, hookPayload('8801712345678', '604217'));
    expect(await response.json()).toEqual({});
    await eventually(() => production.lines.some((line) => line.includes('[sms:console]')));
    const everything = production.lines.join('\n');
    expect(everything).toContain('[sms:console] to +880••••••••78: •••••• আপনার Nagorik Seba কোড।');
    expect(everything).not.toContain('604217');
    expect(everything).not.toContain('8801712345678');
  });
});
