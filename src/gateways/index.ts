// Builds the configured gateway from environment variables (the edge functions pass
// `(name) => Deno.env.get(name)`), so every variable name lives here and in
// supabase/functions/.env.example, nowhere else.
import { BkashGateway } from './bkash.ts';
import { ClickGateway } from './click.ts';
import type { ClickStore } from './click-store.ts';
import { FakeGateway } from './fake.ts';
import { MtnMomoGateway } from './mtn-momo.ts';
import { PaymeGateway } from './payme.ts';
import type { PaymeStore } from './payme-store.ts';
import { PaymobGateway } from './paymob.ts';
import { PaystackGateway } from './paystack.ts';
import type { GatewayId, PaymentGateway, TransportOptions } from './types.ts';

export type * from './types.ts';
export { decide, type Decision, type PaymentRecord } from './reconcile.ts';

export type Env = (name: string) => string | undefined;

export interface GatewayDependencies {
  paymeStore?: PaymeStore;
  clickStore?: ClickStore;
  transport?: TransportOptions;
}

export const GATEWAY_IDS: readonly GatewayId[] = ['fake', 'mtn_momo', 'paymob', 'bkash', 'paystack', 'payme', 'click'];

function required(env: Env, name: string): string {
  const value = env(name);
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function optional(env: Env, name: string): string | undefined {
  return env(name) || undefined;
}

export function gatewayFromEnv(id: GatewayId, env: Env, deps: GatewayDependencies = {}): PaymentGateway {
  const transport = deps.transport;
  switch (id) {
    case 'fake':
      return new FakeGateway({
        seed: env('FAKE_GATEWAY_SEED') ?? 'soko',
        successRate: Number(env('FAKE_GATEWAY_SUCCESS_RATE') ?? '0.9'),
        signingSecret: required(env, 'FAKE_GATEWAY_SIGNING_SECRET'),
        checkoutBaseUrl: optional(env, 'FAKE_GATEWAY_CHECKOUT_URL'),
        flow: env('FAKE_GATEWAY_FLOW') === 'approve_on_phone' ? 'approve_on_phone' : 'redirect',
        ...(transport?.now ? { now: transport.now } : {}),
      });
    case 'mtn_momo': {
      const disbursementKey = optional(env, 'MTN_MOMO_DISBURSEMENT_SUBSCRIPTION_KEY');
      return new MtnMomoGateway({
        baseUrl: required(env, 'MTN_MOMO_BASE_URL'),
        targetEnvironment: required(env, 'MTN_MOMO_TARGET_ENVIRONMENT'),
        collection: {
          subscriptionKey: required(env, 'MTN_MOMO_COLLECTION_SUBSCRIPTION_KEY'),
          apiUser: required(env, 'MTN_MOMO_COLLECTION_API_USER'),
          apiKey: required(env, 'MTN_MOMO_COLLECTION_API_KEY'),
        },
        disbursement: disbursementKey
          ? {
              subscriptionKey: disbursementKey,
              apiUser: required(env, 'MTN_MOMO_DISBURSEMENT_API_USER'),
              apiKey: required(env, 'MTN_MOMO_DISBURSEMENT_API_KEY'),
            }
          : undefined,
        callbackUrl: optional(env, 'MTN_MOMO_CALLBACK_URL'),
        disbursementCallbackUrl: optional(env, 'MTN_MOMO_DISBURSEMENT_CALLBACK_URL'),
        transport,
      });
    }
    case 'paymob':
      return new PaymobGateway({
        baseUrl: optional(env, 'PAYMOB_BASE_URL'),
        secretKey: required(env, 'PAYMOB_SECRET_KEY'),
        publicKey: required(env, 'PAYMOB_PUBLIC_KEY'),
        hmacSecret: required(env, 'PAYMOB_HMAC_SECRET'),
        integrationIds: required(env, 'PAYMOB_INTEGRATION_IDS')
          .split(',')
          .map((id) => Number(id.trim()))
          .filter((id) => Number.isSafeInteger(id) && id > 0),
        apiKey: optional(env, 'PAYMOB_API_KEY'),
        notificationUrl: optional(env, 'PAYMOB_NOTIFICATION_URL'),
        redirectionUrl: optional(env, 'PAYMOB_REDIRECTION_URL'),
        transport,
      });
    case 'bkash':
      return new BkashGateway({
        baseUrl: required(env, 'BKASH_BASE_URL'),
        username: required(env, 'BKASH_USERNAME'),
        password: required(env, 'BKASH_PASSWORD'),
        appKey: required(env, 'BKASH_APP_KEY'),
        appSecret: required(env, 'BKASH_APP_SECRET'),
        callbackUrl: required(env, 'BKASH_CALLBACK_URL'),
        returnUrl: optional(env, 'BKASH_RETURN_URL'),
        transport,
      });
    case 'paystack':
      return new PaystackGateway({
        secretKey: required(env, 'PAYSTACK_SECRET_KEY'),
        baseUrl: optional(env, 'PAYSTACK_BASE_URL'),
        callbackUrl: optional(env, 'PAYSTACK_CALLBACK_URL'),
        placeholderEmailDomain: optional(env, 'PAYSTACK_PLACEHOLDER_EMAIL_DOMAIN'),
        transport,
      });
    case 'payme':
      if (!deps.paymeStore) throw new Error('The Payme gateway needs a PaymeStore');
      return new PaymeGateway(
        {
          merchantId: required(env, 'PAYME_MERCHANT_ID'),
          key: required(env, 'PAYME_KEY'),
          accountField: optional(env, 'PAYME_ACCOUNT_FIELD'),
          checkoutBaseUrl: optional(env, 'PAYME_CHECKOUT_URL'),
          ...(transport?.now ? { now: transport.now } : {}),
        },
        deps.paymeStore,
      );
    case 'click':
      if (!deps.clickStore) throw new Error('The Click gateway needs a ClickStore');
      return new ClickGateway(
        {
          serviceId: required(env, 'CLICK_SERVICE_ID'),
          merchantId: required(env, 'CLICK_MERCHANT_ID'),
          secretKey: required(env, 'CLICK_SECRET_KEY'),
          checkoutBaseUrl: optional(env, 'CLICK_CHECKOUT_URL'),
        },
        deps.clickStore,
      );
  }
}
