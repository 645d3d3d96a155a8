// Builds the SMS providers from environment variables: a provider exists only when all
// of its credentials are set. Runtime-neutral: Deno passes `Deno.env.get`, tests a map.
import { AfricasTalkingSmsProvider } from './africas-talking.ts';
import { ArkeselSmsProvider } from './arkesel.ts';
import { ConsoleSmsProvider } from './console.ts';
import { EskizSmsProvider } from './eskiz.ts';
import { HubtelSmsProvider } from './hubtel.ts';
import type { SmsProvider } from './provider.ts';
import { SslWirelessSmsProvider } from './ssl-wireless.ts';
import { TwilioSmsProvider } from './twilio.ts';
import { VonageSmsProvider } from './vonage.ts';

export type EnvGetter = (name: string) => string | undefined;

/** Every variable the providers read, by provider slug (the value of markets.sms_provider). */
export const PROVIDER_ENV = {
  hubtel: ['HUBTEL_CLIENT_ID', 'HUBTEL_CLIENT_SECRET', 'HUBTEL_SENDER'],
  arkesel: ['ARKESEL_API_KEY', 'ARKESEL_SENDER'],
  africas_talking: ['AFRICASTALKING_USERNAME', 'AFRICASTALKING_API_KEY', 'AFRICASTALKING_SENDER?'],
  twilio: ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM | TWILIO_MESSAGING_SERVICE_SID'],
  ssl_wireless: ['SSL_WIRELESS_API_TOKEN', 'SSL_WIRELESS_SID'],
  eskiz: ['ESKIZ_EMAIL', 'ESKIZ_PASSWORD', 'ESKIZ_SENDER'],
  vonage: ['VONAGE_API_KEY', 'VONAGE_API_SECRET', 'VONAGE_SENDER'],
} as const;

/** The providers whose credentials are all present. */
export function providersFromEnv(env: EnvGetter): Record<string, SmsProvider> {
  const get = (name: string): string | undefined => {
    const value = env(name)?.trim();
    return value ? value : undefined;
  };
  const timeout = Number(get('SMS_TIMEOUT_MS'));
  const http = Number.isFinite(timeout) && timeout > 0 ? { timeoutMs: timeout } : {};
  const providers: Record<string, SmsProvider> = {};

  const hubtel = [get('HUBTEL_CLIENT_ID'), get('HUBTEL_CLIENT_SECRET'), get('HUBTEL_SENDER')] as const;
  if (hubtel[0] && hubtel[1] && hubtel[2]) {
    providers.hubtel = new HubtelSmsProvider({ clientId: hubtel[0], clientSecret: hubtel[1], sender: hubtel[2], ...http });
  }
  const arkesel = [get('ARKESEL_API_KEY'), get('ARKESEL_SENDER')] as const;
  if (arkesel[0] && arkesel[1]) providers.arkesel = new ArkeselSmsProvider({ apiKey: arkesel[0], sender: arkesel[1], ...http });

  const at = [get('AFRICASTALKING_USERNAME'), get('AFRICASTALKING_API_KEY')] as const;
  if (at[0] && at[1]) {
    providers.africas_talking = new AfricasTalkingSmsProvider({ username: at[0], apiKey: at[1], sender: get('AFRICASTALKING_SENDER'), ...http });
  }
  const twilio = [get('TWILIO_ACCOUNT_SID'), get('TWILIO_AUTH_TOKEN')] as const;
  const twilioFrom = get('TWILIO_FROM');
  const twilioService = get('TWILIO_MESSAGING_SERVICE_SID');
  if (twilio[0] && twilio[1] && (twilioFrom || twilioService)) {
    providers.twilio = new TwilioSmsProvider({
      accountSid: twilio[0],
      authToken: twilio[1],
      from: twilioFrom,
      messagingServiceSid: twilioService,
      ...http,
    });
  }
  const ssl = [get('SSL_WIRELESS_API_TOKEN'), get('SSL_WIRELESS_SID')] as const;
  if (ssl[0] && ssl[1]) providers.ssl_wireless = new SslWirelessSmsProvider({ apiToken: ssl[0], sid: ssl[1], ...http });

  const eskiz = [get('ESKIZ_EMAIL'), get('ESKIZ_PASSWORD'), get('ESKIZ_SENDER')] as const;
  if (eskiz[0] && eskiz[1] && eskiz[2]) {
    providers.eskiz = new EskizSmsProvider({ email: eskiz[0], password: eskiz[1], sender: eskiz[2], ...http });
  }
  const vonage = [get('VONAGE_API_KEY'), get('VONAGE_API_SECRET'), get('VONAGE_SENDER')] as const;
  if (vonage[0] && vonage[1] && vonage[2]) {
    providers.vonage = new VonageSmsProvider({ apiKey: vonage[0], apiSecret: vonage[1], sender: vonage[2], ...http });
  }
  return providers;
}

/** True when SUPABASE_URL points at a local stack (npm run dev, supabase start). */
export function isLocalSupabaseUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const { hostname } = new URL(url);
    return ['127.0.0.1', 'localhost', '::1', '[::1]', 'kong', 'host.docker.internal'].includes(hostname);
  } catch {
    return false;
  }
}

/**
 * Production unless SOKO_ENV says otherwise or SUPABASE_URL is a local stack. Only
 * outside production may the console provider print codes.
 */
export function isProduction(env: EnvGetter): boolean {
  const declared = env('SOKO_ENV')?.trim().toLowerCase();
  if (declared) return declared === 'production';
  return !isLocalSupabaseUrl(env('SUPABASE_URL'));
}

export interface ProviderResolver {
  resolve(name: string): SmsProvider | undefined;
  /** The in-memory provider (development fallback, or SMS_PROVIDER_OVERRIDE=console). */
  console: ConsoleSmsProvider;
  production: boolean;
}

/**
 * Resolves a market's provider slug to a provider. SMS_PROVIDER_OVERRIDE sends every
 * market through one provider (e.g. `console` on a staging project, `twilio` for a
 * trial). In development, a market whose provider has no credentials falls back to the
 * console provider; in production it resolves to nothing and the hook reports an outage.
 */
export function providerResolverFromEnv(env: EnvGetter, options: { print?: (line: string) => void } = {}): ProviderResolver {
  const production = isProduction(env);
  const consoleProvider = new ConsoleSmsProvider({ production, ...(options.print ? { print: options.print } : {}) });
  const providers: Record<string, SmsProvider> = { ...providersFromEnv(env), console: consoleProvider };
  const override = env('SMS_PROVIDER_OVERRIDE')?.trim();
  return {
    console: consoleProvider,
    production,
    resolve(name) {
      const chosen = override || name;
      return providers[chosen] ?? (production ? undefined : consoleProvider);
    },
  };
}
