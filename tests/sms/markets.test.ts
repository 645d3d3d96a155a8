import { describe, expect, it, vi } from 'vitest';
import { cachedMarkets, loadActiveMarkets, marketForPhone, type SmsMarket } from '../../src/sms/markets.ts';
import { db } from '../harness/db.ts';
import { SEED_MARKETS } from './helpers.ts';

describe('routing a phone number to its market', () => {
  it.each([
    ['233201234567', 'gh', 'hubtel'],
    ['998901234567', 'uz', 'eskiz'],
    ['201001234567', 'eg', 'vonage'],
    ['8801712345678', 'bd', 'ssl_wireless'],
  ])('%s belongs to %s (%s)', (phone, code, provider) => {
    expect(marketForPhone(SEED_MARKETS, phone)).toMatchObject({ code, smsProvider: provider });
  });

  it.each(['14155550123', '447700900123', '254711000111'])('%s belongs to no market', (phone) => {
    expect(marketForPhone(SEED_MARKETS, phone)).toBeUndefined();
  });

  it('does not mistake a longer country code for a shorter one (880 is not 88 or 8)', () => {
    const markets: SmsMarket[] = [
      ...SEED_MARKETS,
      { code: 'x8', phoneCountryCode: '8', smsProvider: 'twilio', defaultLocale: 'en', locales: ['en'] },
    ];
    expect(marketForPhone(markets, '8801712345678')?.code).toBe('bd');
  });

  describe('when two apps share a country', () => {
    const markets: SmsMarket[] = [
      ...SEED_MARKETS,
      { code: 'gh-goods', name: 'SokoGH', phoneCountryCode: '233', smsProvider: 'arkesel', defaultLocale: 'en', locales: ['en'] },
    ];

    it('uses the market the user signed up in', () => {
      expect(marketForPhone(markets, '233201234567', 'gh-goods')?.smsProvider).toBe('arkesel');
    });

    it('otherwise uses the default market, as the sign-up trigger does', () => {
      expect(marketForPhone(markets, '233201234567')?.code).toBe('gh');
      expect(marketForPhone(markets, '233201234567', 'uz')?.code).toBe('gh');
    });
  });
});

describe('loading markets for the hook', () => {
  it('reads the active markets with their SMS settings from the database', async () => {
    const markets = await loadActiveMarkets(db());
    for (const seeded of SEED_MARKETS) {
      expect(markets.find((m) => m.code === seeded.code)).toEqual(seeded.isDefault ? seeded : { ...seeded, isDefault: false });
    }
    expect(marketForPhone(markets, '998901234567')?.smsProvider).toBe('eskiz');
  });

  it('reuses a load for a minute, then reloads', async () => {
    const clock = { now: 0 };
    const load = vi.fn(async () => SEED_MARKETS);
    const cached = cachedMarkets(load, { ttlMs: 60_000, now: () => clock.now });
    await Promise.all([cached(), cached()]);
    clock.now = 59_000;
    await cached();
    expect(load).toHaveBeenCalledTimes(1);
    clock.now = 61_000;
    await cached();
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('keeps serving the last good list when a reload fails', async () => {
    const clock = { now: 0 };
    const load = vi.fn<() => Promise<SmsMarket[]>>().mockResolvedValueOnce(SEED_MARKETS).mockRejectedValue(new Error('db down'));
    const cached = cachedMarkets(load, { ttlMs: 1_000, now: () => clock.now });
    await cached();
    clock.now = 5_000;
    await expect(cached()).resolves.toBe(SEED_MARKETS);
  });

  it('fails when the very first load fails, and tries again next time', async () => {
    const load = vi.fn<() => Promise<SmsMarket[]>>().mockRejectedValueOnce(new Error('db down')).mockResolvedValue(SEED_MARKETS);
    const cached = cachedMarkets(load);
    await expect(cached()).rejects.toThrow('db down');
    await expect(cached()).resolves.toBe(SEED_MARKETS);
  });
});
