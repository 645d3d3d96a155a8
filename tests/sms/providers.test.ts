import { describe, expect, it } from 'vitest';
import { ConsoleSmsProvider, redactDigits } from '../../src/sms/console.ts';
import { maskPhone, normalizePhone } from '../../src/sms/phone.ts';
import { isProduction, providerResolverFromEnv, providersFromEnv } from '../../src/sms/providers.ts';
import { TtlCache } from '../../src/sms/ttl-cache.ts';

const env = (values: Record<string, string>) => (name: string) => values[name];

const ALL_CREDENTIALS = {
  HUBTEL_CLIENT_ID: 'id', HUBTEL_CLIENT_SECRET: 'secret', HUBTEL_SENDER: 'HandyGH',
  ARKESEL_API_KEY: 'key', ARKESEL_SENDER: 'HandyGH',
  AFRICASTALKING_USERNAME: 'soko', AFRICASTALKING_API_KEY: 'key',
  TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 'token', TWILIO_MESSAGING_SERVICE_SID: 'MG1',
  SSL_WIRELESS_API_TOKEN: 'token', SSL_WIRELESS_SID: 'NAGORIK',
  ESKIZ_EMAIL: 'ops@soko.test', ESKIZ_PASSWORD: 'pw', ESKIZ_SENDER: '4546',
  VONAGE_API_KEY: 'key', VONAGE_API_SECRET: 'secret', VONAGE_SENDER: 'Souq',
};

describe('providers from the environment', () => {
  it('builds every provider whose credentials are all set, under its markets.sms_provider slug', () => {
    expect(Object.keys(providersFromEnv(env(ALL_CREDENTIALS))).sort()).toEqual(
      ['africas_talking', 'arkesel', 'eskiz', 'hubtel', 'ssl_wireless', 'twilio', 'vonage'],
    );
    for (const [slug, provider] of Object.entries(providersFromEnv(env(ALL_CREDENTIALS)))) expect(provider.name).toBe(slug);
  });

  it('leaves out a provider with a missing or blank credential', () => {
    const providers = providersFromEnv(env({ ...ALL_CREDENTIALS, HUBTEL_SENDER: ' ', ESKIZ_PASSWORD: '' }));
    expect(providers).not.toHaveProperty('hubtel');
    expect(providers).not.toHaveProperty('eskiz');
    expect(providers).toHaveProperty('vonage');
  });

  it.each([
    [{ SOKO_ENV: 'production', SUPABASE_URL: 'http://127.0.0.1:54321' }, true],
    [{ SOKO_ENV: 'development', SUPABASE_URL: 'https://abc.supabase.co' }, false],
    [{ SUPABASE_URL: 'http://127.0.0.1:54321' }, false],
    [{ SUPABASE_URL: 'http://kong:8000' }, false],
    [{ SUPABASE_URL: 'https://abcdefgh.supabase.co' }, true],
    [{}, true],
  ])('with %j, production is %s', (values, expected) => {
    expect(isProduction(env(values))).toBe(expected);
  });

  it('in development, sends markets without credentials through the console provider', () => {
    const resolver = providerResolverFromEnv(env({ SUPABASE_URL: 'http://127.0.0.1:54321', VONAGE_API_KEY: 'k', VONAGE_API_SECRET: 's', VONAGE_SENDER: 'S' }));
    expect(resolver.resolve('hubtel')).toBe(resolver.console);
    expect(resolver.resolve('vonage')?.name).toBe('vonage');
  });

  it('in production, resolves a provider without credentials to nothing', () => {
    const resolver = providerResolverFromEnv(env({ SUPABASE_URL: 'https://abcdefgh.supabase.co' }));
    expect(resolver.resolve('hubtel')).toBeUndefined();
    expect(resolver.resolve('console')).toBe(resolver.console);
  });

  it('sends every market through SMS_PROVIDER_OVERRIDE when set', () => {
    const resolver = providerResolverFromEnv(env({ ...ALL_CREDENTIALS, SUPABASE_URL: 'https://x.supabase.co', SMS_PROVIDER_OVERRIDE: 'twilio' }));
    expect(resolver.resolve('hubtel')?.name).toBe('twilio');
    expect(resolver.resolve('eskiz')?.name).toBe('twilio');
  });
});

describe('the console provider', () => {
  it('in development, keeps and prints the message so the developer can sign in', async () => {
    const printed: string[] = [];
    const provider = new ConsoleSmsProvider({ production: false, print: (line) => printed.push(line) });
    const result = await provider.send({ to: '+233201234567', text: '482913 is your HandyGH code.' });
    expect(result.providerMessageId).toMatch(/^console-/);
    expect(provider.lastTo('233201234567')).toMatchObject({ to: '233201234567', text: '482913 is your HandyGH code.' });
    expect(printed).toEqual(['[sms:console] to +233201234567: 482913 is your HandyGH code.']);
  });

  it('in production, never keeps or prints the code or the full number', async () => {
    const printed: string[] = [];
    const provider = new ConsoleSmsProvider({ production: true, print: (line) => printed.push(line) });
    await provider.send({ to: '233201234567', text: '482913 is your HandyGH code.' });
    const everything = [...printed, JSON.stringify(provider.messages)].join('\n');
    expect(everything).not.toContain('482913');
    expect(everything).not.toContain('233201234567');
    expect(provider.lastTo('233201234567')?.text).toBe('•••••• is your HandyGH code.');
  });

  it('keeps only the newest messages', async () => {
    const provider = new ConsoleSmsProvider({ production: false, keep: 2, print: () => undefined });
    for (const code of ['1111', '2222', '3333']) await provider.send({ to: '233201234567', text: code });
    expect(provider.messages.map((m) => m.text)).toEqual(['2222', '3333']);
  });
});

describe('phone numbers and redaction', () => {
  it.each([
    ['233201234567', '233201234567'],
    ['+233201234567', '233201234567'],
    ['+233 20 123 4567', '233201234567'],
    ['0201234567', undefined],
    ['23320', undefined],
    ['+1234567890123456', undefined],
    ['233-20-abc', undefined],
    ['', undefined],
  ])('normalises %j to %j', (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
  });

  it('masks all but the country-code end and the last two digits', () => {
    expect(maskPhone('233201234567')).toBe('233•••••••67');
    expect(maskPhone('+8801712345678')).toBe('880••••••••78');
  });

  it('redacts every run of four or more digits', () => {
    expect(redactDigits('Code 482913, ref 12')).toBe('Code ••••••, ref 12');
  });
});

describe('the duplicate memory', () => {
  it('forgets entries after their time and evicts the oldest beyond its size', () => {
    const clock = { now: 0 };
    const cache = new TtlCache<string, number>({ ttlMs: 1_000, maxEntries: 2, now: () => clock.now });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 2, 3]);
    clock.now = 1_000;
    expect(cache.get('b')).toBeUndefined();
    cache.set('d', 4);
    expect(cache.size).toBe(1);
  });
});
