// Deno glue for the Send SMS hook: secrets and provider credentials from the
// environment, markets from the database (cached for a minute). See handler.ts.
import { database } from '../_shared/env.ts';
import { cachedMarkets, loadActiveMarkets } from '../../../src/sms/markets.ts';
import { providerResolverFromEnv } from '../../../src/sms/providers.ts';
import { createHandler } from './handler.ts';

const env = (name: string) => Deno.env.get(name);
const secret = env('SEND_SMS_HOOK_SECRET');
if (!secret) throw new Error('SEND_SMS_HOOK_SECRET is not set');

const providers = providerResolverFromEnv(env);

Deno.serve(createHandler({
  secret,
  loadMarkets: cachedMarkets(() => loadActiveMarkets(database()), { ttlMs: 60_000 }),
  provider: (name) => providers.resolve(name),
  fallbackProvider: env('SMS_FALLBACK_PROVIDER')?.trim() || undefined,
}));
