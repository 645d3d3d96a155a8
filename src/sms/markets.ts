// Which market, and so which SMS provider and languages, a phone number belongs to.
import type postgres from 'postgres';

export interface SmsMarket {
  code: string;
  /** The app's name, used in the SMS text. */
  name?: string | undefined;
  /** E.164 country calling code without '+', e.g. "233". */
  phoneCountryCode: string;
  /** A key of the providers the hook was given, e.g. "hubtel"; null when unset. */
  smsProvider: string | null;
  defaultLocale: string;
  locales: readonly string[];
  isDefault?: boolean | undefined;
}

export type MarketLoader = () => Promise<readonly SmsMarket[]>;

/** Active markets, read the way the sign-up trigger reads them. */
export async function loadActiveMarkets(sql: postgres.Sql): Promise<SmsMarket[]> {
  const rows = await sql<{
    code: string;
    name: string;
    phone_country_code: string;
    sms_provider: string | null;
    default_locale: string;
    locales: string[];
    is_default: boolean;
  }[]>`
    select code, name, phone_country_code, sms_provider, default_locale, locales, is_default
    from public.markets
    where active
    order by is_default desc, code`;
  return rows.map((row) => ({
    code: row.code,
    name: row.name,
    phoneCountryCode: row.phone_country_code,
    smsProvider: row.sms_provider,
    defaultLocale: row.default_locale,
    locales: row.locales,
    isDefault: row.is_default,
  }));
}

/**
 * The market for a number (E.164 digits without '+'). Country calling codes are
 * prefix-free, so one code matches at most; several markets may share it (two apps in
 * one country): then the market the user signed up in wins, then the default market,
 * then the first by code, exactly as the sign-up trigger decides.
 */
export function marketForPhone(markets: readonly SmsMarket[], phone: string, preferred?: string | null): SmsMarket | undefined {
  const matching = markets.filter((market) => market.phoneCountryCode !== '' && phone.startsWith(market.phoneCountryCode));
  if (matching.length === 0) return undefined;
  // Longest code first, should a configuration ever break prefix-freedom.
  const longest = Math.max(...matching.map((market) => market.phoneCountryCode.length));
  const candidates = matching.filter((market) => market.phoneCountryCode.length === longest);
  return candidates.find((market) => preferred && market.code === preferred)
    ?? [...candidates].sort((a, b) => Number(b.isDefault ?? false) - Number(a.isDefault ?? false) || a.code.localeCompare(b.code))[0];
}

export interface SmsRoute {
  /** The market the number belongs to, if any. */
  market: SmsMarket | undefined;
  /** The provider slug to send through: the market's, else the fallback; undefined when neither. */
  providerName: string | undefined;
}

/**
 * How every Soko SMS is routed (sign-in codes and notifications alike): the number's
 * market by country code (`preferred` breaks ties, see marketForPhone), that market's
 * provider, else `fallbackProvider` (SMS_FALLBACK_PROVIDER) for numbers no market
 * serves or markets without a provider.
 */
export function routeSms(
  markets: readonly SmsMarket[],
  phone: string,
  preferred: string | null | undefined,
  fallbackProvider: string | undefined,
): SmsRoute {
  const market = marketForPhone(markets, phone, preferred);
  return { market, providerName: (market ? market.smsProvider : null) ?? fallbackProvider };
}

export interface CachedLoaderOptions {
  /** How long a successful load is reused. */
  ttlMs?: number;
  now?: () => number;
}

/**
 * Reuses the markets for a short while (they change rarely; the hook runs on every
 * sign-in), shares one load between concurrent callers, and keeps serving the last good
 * list if a reload fails, so a database hiccup does not stop sign-ins.
 */
export function cachedMarkets(load: MarketLoader, options: CachedLoaderOptions = {}): MarketLoader {
  const ttlMs = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  let value: readonly SmsMarket[] | undefined;
  let loadedAt = 0;
  let pending: Promise<readonly SmsMarket[]> | undefined;
  return async () => {
    if (value && now() - loadedAt < ttlMs) return value;
    pending ??= load()
      .then((markets) => {
        value = markets;
        loadedAt = now();
        return markets;
      })
      .catch((error: unknown) => {
        if (value) return value;
        throw error;
      })
      .finally(() => {
        pending = undefined;
      });
    return await pending;
  };
}
