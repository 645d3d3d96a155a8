import { describe, expect, it } from 'vitest';
import { chooseOtpLocale, OTP_LOCALES, otpText } from '../../src/sms/otp-text.ts';
import { isGsm7 } from '../../src/sms/vonage.ts';
import { SEED_MARKETS } from './helpers.ts';

const market = (code: string) => {
  const found = SEED_MARKETS.find((m) => m.code === code)!;
  return { defaultLocale: found.defaultLocale, locales: found.locales };
};

describe('choosing the language of the sign-in SMS', () => {
  it.each([
    ['a Xizmat user who chose Russian gets Russian', 'uz', 'ru', 'ru'],
    ['a Xizmat user who chose Cyrillic Uzbek gets it', 'uz', 'uz-Cyrl', 'uz-Cyrl'],
    ['a tag in another case or with an underscore still matches', 'uz', 'UZ_cyrl', 'uz-Cyrl'],
    ['a regional variant matches its language (ru-RU → ru)', 'uz', 'ru-RU', 'ru'],
    ['a bare "uz" matches the first Uzbek the market offers', 'uz', 'uz', 'uz-Latn'],
    ['a Xizmat user with no choice gets the market default', 'uz', undefined, 'uz-Latn'],
    ['a language the market does not offer falls back to the default', 'uz', 'bn', 'uz-Latn'],
    ['an Egyptian user gets Arabic by default', 'eg', null, 'ar'],
    ['an Egyptian user who chose English gets English', 'eg', 'en', 'en'],
    ['a Bangladeshi user gets Bengali by default', 'bd', '', 'bn'],
    ['a Ghanaian user gets English', 'gh', 'fr', 'en'],
  ])('%s', (_label, code, requested, expected) => {
    expect(chooseOtpLocale({ requested, ...market(code) })).toBe(expected);
  });

  it('with no market, honours any language it has a text for, else English', () => {
    expect(chooseOtpLocale({ requested: 'fr' })).toBe('fr');
    expect(chooseOtpLocale({ requested: 'de' })).toBe('en');
    expect(chooseOtpLocale({})).toBe('en');
  });

  it('falls back by language, then to English, when a market default has no text', () => {
    expect(chooseOtpLocale({ defaultLocale: 'ar-EG', locales: ['ar-EG'] })).toBe('ar');
    expect(chooseOtpLocale({ defaultLocale: 'tw', locales: ['tw', 'en'] })).toBe('en');
  });
});

describe('the sign-in SMS text', () => {
  it.each([
    ['en', '482913 is your HandyGH code. Do not share it with anyone.'],
    ['bn', '482913 আপনার HandyGH কোড। এটি কাউকে জানাবেন না।'],
    ['ar', 'رمز HandyGH الخاص بك هو 482913. لا تشاركه مع أي شخص.'],
    ['uz-Latn', '482913 - HandyGH tasdiqlash kodingiz. Uni hech kimga bermang.'],
    ['uz-Cyrl', '482913 - HandyGH тасдиқлаш кодингиз. Уни ҳеч кимга берманг.'],
    ['ru', '482913 — ваш код HandyGH. Никому его не сообщайте.'],
  ])('in %s reads: %s', (locale, expected) => {
    expect(otpText('482913', locale, 'HandyGH')).toBe(expected);
  });

  it('carries the code in every language', () => {
    for (const locale of OTP_LOCALES) expect(otpText('907153', locale, 'Xizmat'), locale).toContain('907153');
  });

  it('fits in one SMS in every language, even for the longest market name', () => {
    for (const locale of OTP_LOCALES) {
      const text = otpText('12345678', locale, 'Souq Handmade');
      // GSM 7-bit holds 160 characters; UCS-2 (anything else) only 70.
      expect(text.length, `${locale}: ${text}`).toBeLessThanOrEqual(isGsm7(text) ? 160 : 70);
    }
  });

  it('falls back to English for a locale it has no text for', () => {
    expect(otpText('1234', 'xx', 'Soko')).toBe('1234 is your Soko code. Do not share it with anyone.');
  });
});
