// Deno glue for the notification SMS worker: provider credentials from the environment
// (the same as the Send SMS hook's), markets from the database (cached for a minute).
// See handler.ts.
import { database, jwtVerifier } from '../_shared/env.ts';
import { cachedMarkets, loadActiveMarkets } from '../../../src/sms/markets.ts';
import { providerResolverFromEnv } from '../../../src/sms/providers.ts';
import { createHandler } from './handler.ts';

const env = (name: string) => Deno.env.get(name);
const providers = providerResolverFromEnv(env);

Deno.serve(createHandler({
  sql: database(),
  verifier: jwtVerifier(),
  loadMarkets: cachedMarkets(() => loadActiveMarkets(database()), { ttlMs: 60_000 }),
  provider: (name) => providers.resolve(name),
  fallbackProvider: env('SMS_FALLBACK_PROVIDER')?.trim() || undefined,
}));
