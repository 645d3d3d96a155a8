// Tokens as Supabase Auth would issue them, for local development and tests: the
// standard claims GoTrue builds, passed through public.custom_access_token_hook as
// supabase_auth_admin, signed with the local JWT secret.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type postgres from 'postgres';

/** The JWT secret of every local Supabase stack (`supabase start`) and of `npm run dev`. */
export const LOCAL_JWT_SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';

export type Claims = Record<string, unknown> & { role: string; sub?: string };

/** Claims of a fresh access token for this auth user, after the custom access token hook. */
export async function issueClaims(tx: postgres.TransactionSql, userId: string): Promise<Claims> {
  const [user] = await tx<{ phone: string | null; email: string | null; app: unknown; meta: unknown; is_anonymous: boolean }[]>`
    select phone, email, raw_app_meta_data as app, raw_user_meta_data as meta, is_anonymous
    from auth.users where id = ${userId}`;
  if (!user) throw new Error(`no auth user ${userId}`);
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: 'http://127.0.0.1:54321/auth/v1',
    aud: 'authenticated',
    exp: now + 3600,
    iat: now,
    sub: userId,
    email: user.email ?? '',
    phone: user.phone ?? '',
    app_metadata: user.app ?? {},
    user_metadata: user.meta ?? {},
    role: 'authenticated',
    aal: 'aal1',
    amr: [{ method: 'otp', timestamp: now }],
    session_id: randomUUID(),
    is_anonymous: user.is_anonymous,
  };
  const event = { user_id: userId, claims, authentication_method: 'otp' };
  await tx`select set_config('role', 'supabase_auth_admin', true)`;
  const [row] = await tx<{ result: { claims: Claims } }[]>`
    select public.custom_access_token_hook(${JSON.stringify(event)}::text::jsonb) as result`;
  await tx`reset role`;
  return row!.result.claims;
}

/** Signs claims with the local HS256 secret, as a local stack's Auth would. */
export async function signJwt(claims: Claims, secret = LOCAL_JWT_SECRET, expiresIn = '1h'): Promise<string> {
  const { exp: _exp, iat: _iat, ...rest } = claims;
  return new SignJWT(rest).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime(expiresIn).sign(new TextEncoder().encode(secret));
}

/** The anon and service_role API keys of a local stack: JWTs carrying only a role. */
export async function apiKeys(secret = LOCAL_JWT_SECRET): Promise<{ anon: string; serviceRole: string }> {
  return {
    anon: await signJwt({ role: 'anon', iss: 'supabase-demo' }, secret, '10y'),
    serviceRole: await signJwt({ role: 'service_role', iss: 'supabase-demo' }, secret, '10y'),
  };
}
