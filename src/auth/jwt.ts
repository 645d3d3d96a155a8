// Verifying the Supabase access token a client sends, in Node and Deno alike.
//
// Projects on Supabase's asymmetric signing keys publish them at
// `<SUPABASE_URL>/auth/v1/.well-known/jwks.json`; projects (and local stacks) on the
// legacy shared secret sign with HS256. Either way the claims that come out are the
// ones PostgREST would see, custom_access_token_hook's included.
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { UnauthorizedError } from '../errors.ts';

export type Claims = JWTPayload & { role: string; sub?: string; user_roles?: string[]; market?: string | null };

export interface JwtVerifier {
  verify(token: string): Promise<Claims>;
}

const ROLES = new Set(['anon', 'authenticated', 'service_role']);

function checkClaims(payload: JWTPayload): Claims {
  const role = payload.role;
  if (typeof role !== 'string' || !ROLES.has(role)) throw new UnauthorizedError('The token has no usable role.');
  if (role === 'authenticated' && typeof payload.sub !== 'string') throw new UnauthorizedError('The token has no subject.');
  return payload as Claims;
}

/** HS256 with the project's JWT secret (local stacks, legacy projects). */
export function sharedSecretVerifier(secret: string): JwtVerifier {
  if (secret.length < 32) throw new Error('JWT secret must be at least 32 characters');
  const key = new TextEncoder().encode(secret);
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
        return checkClaims(payload);
      } catch (error) {
        if (error instanceof UnauthorizedError) throw error;
        throw new UnauthorizedError('The access token is invalid or expired.');
      }
    },
  };
}

/** The project's published signing keys (asymmetric JWTs). */
export function jwksVerifier(supabaseUrl: string): JwtVerifier {
  const jwks = createRemoteJWKSet(new URL('/auth/v1/.well-known/jwks.json', supabaseUrl));
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, jwks, { algorithms: ['ES256', 'RS256', 'EdDSA'] });
        return checkClaims(payload);
      } catch (error) {
        if (error instanceof UnauthorizedError) throw error;
        throw new UnauthorizedError('The access token is invalid or expired.');
      }
    },
  };
}

/** SOKO_JWT_SECRET when set (HS256), otherwise the project's JWKS. */
export function verifierFromEnv(env: (name: string) => string | undefined): JwtVerifier {
  const secret = env('SOKO_JWT_SECRET');
  if (secret) return sharedSecretVerifier(secret);
  const url = env('SUPABASE_URL');
  if (!url) throw new Error('Set SOKO_JWT_SECRET or SUPABASE_URL so access tokens can be verified');
  return jwksVerifier(url);
}

/** The verified claims of the request's `Authorization: Bearer …` token. */
export async function authenticate(request: Request, verifier: JwtVerifier): Promise<Claims> {
  const header = request.headers.get('authorization') ?? '';
  const match = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i.exec(header.trim());
  if (!match) throw new UnauthorizedError();
  return verifier.verify(match[1]!);
}
