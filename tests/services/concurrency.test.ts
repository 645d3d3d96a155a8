// Real concurrency: each call is its own committed transaction on its own pooled
// connection, all started at once, as many phones hitting PostgREST at the same moment.
// Nothing here runs inside `rollback`; the fixtures are committed and removed afterwards.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asUser, db, deleteUsers, type TestUser } from '../harness/db.ts';
import { createCustomer, createListing, createProvider, utcDay, type Booking, type Listing, type Provider } from '../harness/services.ts';

const PARALLEL = 8;

let provider: Provider;
let customers: TestUser[];
let listing: Listing;

beforeAll(async () => {
  provider = await createProvider(db());
  customers = await Promise.all(Array.from({ length: PARALLEL }, () => createCustomer(db())));
  listing = await createListing(db(), provider, { durationMinutes: 60, bufferBeforeMinutes: 10, bufferAfterMinutes: 10 });
});

afterAll(async () => {
  await deleteUsers(provider, ...customers);
});

function request(customer: TestUser, startsAt: Date, key = randomUUID()): Promise<Booking> {
  return asUser(db(), customer, async (q) => {
    const [row] = await q`
      select * from public.request_booking(${listing.id}, ${startsAt}, '1 Ring Road', ${provider.lat + 0.01}, ${provider.lng}, ${key})`;
    return row as unknown as Booking;
  });
}

function settle<T>(calls: Promise<T>[]) {
  return Promise.allSettled(calls).then((results) => ({
    won: results.filter((r): r is PromiseFulfilledResult<Awaited<T>> => r.status === 'fulfilled').map((r) => r.value),
    lost: results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as { hint?: string }),
  }));
}

async function overlappingHoldingBookings(): Promise<number> {
  const [row] = await db()`
    select count(*)::int as n
    from public.bookings a
    join public.bookings b on a.provider_id = b.provider_id and a.id < b.id and a.occupied && b.occupied
    where a.provider_id = ${provider.id}
      and a.status in ('requested', 'accepted', 'in_progress') and b.status in ('requested', 'accepted', 'in_progress')`;
  return row!.n as number;
}

describe('under concurrent load', () => {
  it('customers racing for overlapping times: exactly one gets a booking, the rest slot_unavailable', async () => {
    // Starts 0, 5, …, 35 minutes after 10:00: every pair overlaps.
    const { won, lost } = await settle(customers.map((c, i) => request(c, utcDay(6, 10, i * 5))));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(PARALLEL - 1);
    expect(lost.every((e) => e.hint === 'slot_unavailable')).toBe(true);
    expect(await overlappingHoldingBookings()).toBe(0);
  });

  it('non-overlapping requests at once all succeed', async () => {
    const { won, lost } = await settle(customers.map((c, i) => request(c, utcDay(7, 6 + i * 2))));
    expect(lost).toEqual([]);
    expect(won).toHaveLength(PARALLEL);
    expect(await overlappingHoldingBookings()).toBe(0);
  });

  it('one request retried from many connections with one idempotency key makes one booking', async () => {
    const key = randomUUID();
    const customer = customers[0]!;
    const { won, lost } = await settle(Array.from({ length: PARALLEL }, () => request(customer, utcDay(8, 10), key)));
    expect(lost).toEqual([]);
    expect(new Set(won.map((b) => b.id)).size).toBe(1);
    const [row] = await db()`select count(*)::int as n from public.bookings where customer_id = ${customer.id} and idempotency_key = ${key}`;
    expect(row?.n).toBe(1);
  });

  it('a provider accepting one request from many devices at once: one accept, the rest invalid_transition', async () => {
    const booking = await request(customers[1]!, utcDay(9, 10));
    const { won, lost } = await settle(
      Array.from({ length: PARALLEL }, () =>
        asUser(db(), provider, (q) => q`select status from public.transition_booking(${booking.id}, 'accepted')`)),
    );
    expect(won).toHaveLength(1);
    expect(lost.map((e) => e.hint)).toEqual(Array(PARALLEL - 1).fill('invalid_transition'));
    const [row] = await db()`
      select count(*)::int as n from public.booking_timeline where booking_id = ${booking.id} and to_status = 'accepted'`;
    expect(row?.n).toBe(1);
  });

  it('decline and cancel racing on one request: exactly one wins, and the timeline agrees', async () => {
    const customer = customers[2]!;
    const booking = await request(customer, utcDay(10, 10));
    const { won, lost } = await settle([
      asUser(db(), provider, (q) => q`select status from public.transition_booking(${booking.id}, 'declined')`),
      asUser(db(), customer, (q) => q`select status from public.transition_booking(${booking.id}, 'cancelled_by_customer')`),
    ]);
    expect(won).toHaveLength(1);
    expect(lost.map((e) => e.hint)).toEqual(['invalid_transition']);
    const [row] = await db()`select status from public.bookings where id = ${booking.id}`;
    const timeline = await db()`select to_status from public.booking_timeline where booking_id = ${booking.id} order by id`;
    expect(timeline.map((t) => t.to_status)).toEqual(['requested', row!.status]);
  });

  it('reschedules racing into the same free time: one moves, the other is refused', async () => {
    const [a, b] = await Promise.all([request(customers[3]!, utcDay(11, 8)), request(customers[4]!, utcDay(11, 14))]);
    const target = utcDay(11, 11);
    const { won, lost } = await settle([
      asUser(db(), customers[3]!, (q) => q`select starts_at from public.reschedule_booking(${a.id}, ${target})`),
      asUser(db(), customers[4]!, (q) => q`select starts_at from public.reschedule_booking(${b.id}, ${target})`),
    ]);
    expect(won).toHaveLength(1);
    expect(lost.map((e) => e.hint)).toEqual(['slot_unavailable']);
    expect(await overlappingHoldingBookings()).toBe(0);
  });
});
