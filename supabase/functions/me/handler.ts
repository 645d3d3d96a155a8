// GET (or POST, the SDKs' default for functions.invoke) /functions/v1/me — everything an app needs at start-up in one round trip (slow
// mobile networks): the caller's profile, private account fields, roles and market.
// It reads as the caller, so RLS decides exactly as it would through PostgREST.
import type postgres from 'postgres';
import { authenticate, type JwtVerifier } from '../../../src/auth/jwt.ts';
import { asCaller } from '../../../src/db/caller.ts';
import { json, NotFoundError, UnauthorizedError, type Logger } from '../../../src/errors.ts';
import { serveJson, type Handler } from '../../../src/http/serve.ts';

export interface MeDependencies {
  sql: postgres.Sql;
  verifier: JwtVerifier;
  log?: Logger;
}

export function createHandler({ sql, verifier, log }: MeDependencies): Handler {
  return serveJson({ methods: ['GET', 'POST'], ...(log ? { log } : {}) }, async (request) => {
    const claims = await authenticate(request, verifier);
    if (claims.role !== 'authenticated') throw new UnauthorizedError();
    const [me] = await asCaller(sql, claims, (tx) => tx`
      select p.id, p.display_name, p.avatar_path, a.phone, a.locale, a.status,
             array(select r.role::text from public.user_roles as r where r.user_id = p.id order by r.role) as roles,
             jsonb_build_object(
               'code', m.code, 'name', m.name, 'country_code', m.country_code,
               'currency_code', m.currency_code, 'currency_minor_units', m.currency_minor_units,
               'default_locale', m.default_locale, 'locales', m.locales, 'time_zone', m.time_zone,
               'modules', m.modules, 'payment_gateways', m.payment_gateways, 'role_labels', m.role_labels
             ) as market
      from public.profiles as p
      join public.accounts as a on a.id = p.id
      join public.markets as m on m.code = p.market_code
      where p.id = (select auth.uid())`);
    if (!me) throw new NotFoundError('There is no profile for this user.');
    return json(me);
  });
}
