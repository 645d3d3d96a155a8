// Starting a payment from the app (the `payments` edge function):
//   POST /payments {booking_id, method: "gateway" | "wallet", gateway?, idempotency_key, phone?, return_url?}
// 1. Validate the body (zod); the amount never comes from the client.
// 2. public.start_payment as the calling user (RLS and the function's caller check
//    decide): the payment row with the booking's price, or — from the wallet — settled.
// 3. For a gateway, ask it to start (the payment id is its idempotency key, so a retry
//    with the same idempotency_key asks again safely) and answer what the app shows:
//    a redirect URL, "approve on your phone", an OTP prompt.
// A gateway that refuses outright fails the payment; one that does not answer leaves it
// pending for the reconciler.
import { z } from 'zod';
import type { Claims } from '../auth/jwt.ts';
import { asCaller } from '../db/caller.ts';
import { UnauthorizedError, ValidationError } from '../errors.ts';
import { GatewayRejectedError, PaymentDeclinedError } from '../gateways/errors.ts';
import type { Initiation } from '../gateways/types.ts';
import { currencyCode } from '../money.ts';
import type { Gateways } from './gateways.ts';
import { asService, sendNotices, toNumber, type Sql } from './sql.ts';

// Strict: an amount (or anything else) from the client is refused, not ignored.
export const startPaymentSchema = z.strictObject({
  booking_id: z.uuid(),
  method: z.enum(['gateway', 'wallet']),
  gateway: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/).optional(),
  idempotency_key: z.string().regex(/^[A-Za-z0-9._:-]{8,128}$/),
  /** The mobile-money number to charge, if not the account's own (E.164 with '+'). */
  phone: z.string().regex(/^\+[1-9]\d{7,14}$/).optional(),
  return_url: z.url({ protocol: /^(https|io\.soko\.app)$/ }).max(2000).optional(),
  mobile_money_provider: z.string().regex(/^[a-z]{2,12}$/).optional(),
});

export type StartPaymentInput = z.infer<typeof startPaymentSchema>;

export interface PaymentView {
  id: string;
  booking_id: string | null;
  method: string;
  gateway: string | null;
  status: string;
  amount_minor: number;
  currency: string;
  expires_at: string | null;
}

export interface StartedPayment {
  payment: PaymentView;
  /** What the app shows next; null when nothing is left to do (wallet, already settled). */
  next: Initiation | null;
}

function view(row: Record<string, unknown>): PaymentView {
  return {
    id: String(row.id),
    booking_id: (row.booking_id as string | null) ?? null,
    method: String(row.method),
    gateway: (row.gateway as string | null) ?? null,
    status: String(row.status),
    amount_minor: toNumber(row.amount_minor),
    currency: String(row.currency),
    expires_at: row.expires_at instanceof Date ? row.expires_at.toISOString() : ((row.expires_at as string | null) ?? null),
  };
}

export function parseStartPayment(body: unknown): StartPaymentInput {
  const parsed = startPaymentSchema.safeParse(body);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join('.') || undefined;
    throw new ValidationError('The payment request is not valid.', field ? { field } : {});
  }
  if (parsed.data.method === 'gateway' && !parsed.data.gateway) {
    throw new ValidationError('Name the gateway to pay with.', { field: 'gateway' });
  }
  return parsed.data;
}

export async function startPayment(sql: Sql, gateways: Gateways, claims: Claims, input: StartPaymentInput): Promise<StartedPayment> {
  if (claims.role !== 'authenticated') throw new UnauthorizedError();
  const { payment, phone, description } = await asCaller(sql, claims, async (tx) => {
    const [row] = await tx`
      select * from public.start_payment(${input.booking_id}, ${input.method}::public.payment_method,
                                         ${input.gateway ?? null}, ${input.idempotency_key})`;
    const [account] = await tx`select phone from public.accounts where id = (select auth.uid())`;
    const [booking] = await tx`select b.id, coalesce(l.title ->> 'en', 'Booking') as title
                               from public.bookings as b left join public.service_listings as l on l.id = b.listing_id
                               where b.id = ${input.booking_id}`;
    return {
      payment: row!,
      phone: (account?.phone as string | null) ?? null,
      description: `${String(booking?.title ?? 'Booking')} (${input.booking_id.slice(0, 8)})`,
    };
  });
  if (payment.method !== 'gateway' || payment.status !== 'pending') {
    if (payment.status === 'succeeded') await sendNotices(sql);
    return { payment: view(payment), next: null };
  }

  const gateway = gateways.get(String(payment.gateway));
  const customerPhone = input.phone ?? (phone ? `+${phone}` : null);
  if (!customerPhone) throw new ValidationError('A phone number is needed to pay.', { field: 'phone' });
  let next: Initiation;
  try {
    next = await gateway.initiate({
      paymentId: String(payment.id),
      amountMinor: toNumber(payment.amount_minor),
      currency: currencyCode(String(payment.currency)),
      description,
      customer: { phone: customerPhone },
      returnUrl: input.return_url,
      method: input.mobile_money_provider ? 'mobile_money' : 'checkout',
      mobileMoneyProvider: input.mobile_money_provider,
    });
  } catch (error) {
    if (error instanceof PaymentDeclinedError || error instanceof GatewayRejectedError || error instanceof ValidationError) {
      await asService(sql, (tx) => tx`select private.fail_payment(${String(payment.id)}, ${error.code})`);
    }
    throw error;
  }
  if (next.reference !== payment.reference) {
    await asService(sql, (tx) => tx`select private.attach_payment_reference(${String(payment.id)}, ${next.reference})`);
  }
  return { payment: view(payment), next };
}
