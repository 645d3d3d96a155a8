// The sign-in SMS in the user's language.
//
// The locale is the one the user asked for at sign-up (`user_metadata.locale`) when
// their market offers it, else the market's default. Texts are short: outside the GSM
// alphabet (Bengali, Arabic, Cyrillic) one SMS holds only 70 characters. The code comes
// first where the script allows, so it shows in the notification preview.

export interface LocaleChoice {
  /** The locale the user asked for, if any (BCP 47, any case). */
  requested?: string | null | undefined;
  /** The market's default and offered locales; absent when no market matched. */
  defaultLocale?: string | undefined;
  locales?: readonly string[] | undefined;
}

type Template = (code: string, app: string) => string;

const TEMPLATES: Record<string, Template> = {
  en: (code, app) => `${code} is your ${app} code. Do not share it with anyone.`,
  bn: (code, app) => `${code} আপনার ${app} কোড। এটি কাউকে জানাবেন না।`,
  ar: (code, app) => `رمز ${app} الخاص بك هو ${code}. لا تشاركه مع أي شخص.`,
  'uz-Latn': (code, app) => `${code} - ${app} tasdiqlash kodingiz. Uni hech kimga bermang.`,
  'uz-Cyrl': (code, app) => `${code} - ${app} тасдиқлаш кодингиз. Уни ҳеч кимга берманг.`,
  ru: (code, app) => `${code} — ваш код ${app}. Никому его не сообщайте.`,
  fr: (code, app) => `${code} est votre code ${app}. Ne le partagez avec personne.`,
  sw: (code, app) => `${code} ni msimbo wako wa ${app}. Usimpe mtu yeyote.`,
};

/** Locales with a template. */
export const OTP_LOCALES: readonly string[] = Object.keys(TEMPLATES);

const FALLBACK = 'en';

function canonical(tag: string): string | undefined {
  const lower = tag.trim().replace(/_/g, '-').toLowerCase();
  return OTP_LOCALES.find((locale) => locale.toLowerCase() === lower);
}

/** Finds `wanted` among `offered`: exact (any case), then by language alone. */
function pick(wanted: string, offered: readonly string[]): string | undefined {
  const lower = wanted.trim().replace(/_/g, '-').toLowerCase();
  const exact = offered.find((locale) => locale.toLowerCase() === lower);
  if (exact) return exact;
  const language = lower.split('-')[0];
  return offered.find((locale) => locale.toLowerCase().split('-')[0] === language);
}

/**
 * The locale to write the SMS in: the requested one if the market offers it (or, with
 * no market, if there is a template), else the market default, else English; always
 * one that has a template (a locale without one falls back by language, then to English).
 */
export function chooseOtpLocale(choice: LocaleChoice): string {
  const offered = choice.locales && choice.locales.length > 0 ? choice.locales : OTP_LOCALES;
  const requested = typeof choice.requested === 'string' && choice.requested.trim() ? pick(choice.requested, offered) : undefined;
  const chosen = requested ?? choice.defaultLocale ?? FALLBACK;
  return canonical(chosen) ?? pick(chosen, OTP_LOCALES) ?? FALLBACK;
}

/** The SMS text for a code in a locale (unknown locales fall back as chooseOtpLocale does). */
export function otpText(code: string, locale: string, app = 'Soko'): string {
  const key = canonical(locale) ?? pick(locale, OTP_LOCALES) ?? FALLBACK;
  return TEMPLATES[key]!(code, app);
}
