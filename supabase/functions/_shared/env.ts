// Deno glue shared by the edge functions: what they build from the environment.
// Supabase provides SUPABASE_URL and SUPABASE_DB_URL to every function; locally
// `npm run dev` sets the same names.
import postgres from 'postgres';
import { verifierFromEnv, type JwtVerifier } from '../../../src/auth/jwt.ts';

let sql: postgres.Sql | undefined;

/** One small pool per function instance. `prepare: false` suits Supabase's transaction pooler. */
export function database(): postgres.Sql {
  const url = Deno.env.get('SUPABASE_DB_URL');
  if (!url) throw new Error('SUPABASE_DB_URL is not set');
  sql ??= postgres(url, { prepare: false, max: 3, idle_timeout: 20, onnotice: () => undefined });
  return sql;
}

export function jwtVerifier(): JwtVerifier {
  return verifierFromEnv((name) => Deno.env.get(name));
}
