import { describe, expect, it } from 'vitest';
import { asAnon, asUser, rollback, type Tx } from '../harness/db.ts';
import {
  createCustomer,
  createListing,
  createProvider,
  requestBooking,
  utcDate,
  utcDay,
  type Listing,
} from '../harness/services.ts';

/** Days from today to the next ISO weekday (1 = Monday) at least `minDays` ahead. */
function daysUntil(weekday: number, minDays = 2): number {
  for (let days = minDays; ; days++) {
    const iso = ((utcDay(days).getUTCDay() + 6) % 7) + 1;
    if (iso === weekday) return days;
  }
}

async function slots(tx: Tx, listing: Listing, from: string, to = from): Promise<string[]> {
  const rows = await asAnon(tx, (q) => q<{ starts_at: Date }[]>`
    select starts_at from public.listing_slots(${listing.id}, ${from}::date, ${to}::date)`);
  return rows.map((r) => r.starts_at.toISOString().slice(11, 16));
}

/** Next Sunday on which Europe/London changes its clocks (last Sunday of March or October). */
function nextLondonTransition(): { day: Date; change: 'spring' | 'autumn' } {
  const now = new Date();
  for (let year = now.getUTCFullYear(); ; year++) {
    for (const [month, change] of [[2, 'spring'], [9, 'autumn']] as const) {
      const last = new Date(Date.UTC(year, month + 1, 0));
      last.setUTCDate(last.getUTCDate() - last.getUTCDay());
      if (last.getTime() - now.getTime() > 3 * 86400_000) return { day: last, change };
    }
  }
}

describe('listing slots', () => {
  it('offers starts on the slot grid inside the weekly hours, in the provider’s zone', async () => {
    await rollback(async (tx) => {
      const monday = daysUntil(1);
      const kwame = await createProvider(tx, { hours: [{ weekday: 1, start: '08:00', end: '12:00' }] });
      const listing = await createListing(tx, kwame, { durationMinutes: 60 });
      expect(await slots(tx, listing, utcDate(monday))).toEqual(['08:00', '08:30', '09:00', '09:30', '10:00', '10:30', '11:00']);
      // Tuesday has no hours.
      expect(await slots(tx, listing, utcDate(monday + 1))).toEqual([]);
    });
  });

  it('reads weekly hours in the provider’s local time (Tashkent is UTC+5)', async () => {
    await rollback(async (tx) => {
      const monday = daysUntil(1);
      const bobur = await createProvider(tx, { market: 'uz', hours: [{ weekday: 1, start: '09:00', end: '10:30' }] });
      const listing = await createListing(tx, bobur, { durationMinutes: 60 });
      expect(await slots(tx, listing, utcDate(monday))).toEqual(['04:00', '04:30']);
    });
  });

  it('is DST-correct: the same local hours move in UTC, and the change day is an hour shorter or longer', async () => {
    await rollback(async (tx) => {
      await tx`update public.service_settings set booking_horizon = '3 years' where market_code = 'gh'`;
      const { day, change } = nextLondonTransition();
      const days = Math.round((day.getTime() - utcDay(0).getTime()) / 86400_000);
      const kwame = await createProvider(tx, {
        timeZone: 'Europe/London',
        hours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '10:00' })),
      });
      const listing = await createListing(tx, kwame, { durationMinutes: 60 });
      const [before, after] = change === 'spring' ? ['09:00', '08:00'] : ['08:00', '09:00'];
      expect(await slots(tx, listing, utcDate(days - 1))).toEqual([before]);
      expect(await slots(tx, listing, utcDate(days + 1))).toEqual([after]);

      // A whole-day rule on the change day: 23 or 25 hours of starts every 30 minutes.
      await tx`update public.availability_rules set start_time = '00:00', end_time = '24:00' where provider_id = ${kwame.id}`;
      const hours = change === 'spring' ? 23 : 25;
      expect(await slots(tx, listing, utcDate(days))).toHaveLength(hours * 2 - 1);
      expect(await slots(tx, listing, utcDate(days - 7))).toHaveLength(47);
    });
  });

  it('applies dated exceptions: time off closes, extra hours open', async () => {
    await rollback(async (tx) => {
      const monday = daysUntil(1);
      const kwame = await createProvider(tx, { hours: [{ weekday: 1, start: '08:00', end: '10:00' }] });
      const listing = await createListing(tx, kwame, { durationMinutes: 60 });
      await asUser(tx, kwame, async (q) => {
        await q`insert into public.availability_exceptions (kind, on_date, start_time, end_time)
                values ('time_off', ${utcDate(monday)}, '08:00', '09:00')`;
        await q`insert into public.availability_exceptions (kind, on_date, start_time, end_time)
                values ('extra_hours', ${utcDate(monday + 1)}, '14:00', '15:30')`;
        await q`insert into public.availability_exceptions (kind, on_date) values ('time_off', ${utcDate(monday + 7)})`;
      });
      expect(await slots(tx, listing, utcDate(monday))).toEqual(['09:00']);
      expect(await slots(tx, listing, utcDate(monday + 1))).toEqual(['14:00', '14:30']);
      expect(await slots(tx, listing, utcDate(monday + 7))).toEqual([]);
    });
  });

  it('leaves out time taken by bookings, counting both listings’ buffers', async () => {
    await rollback(async (tx) => {
      const days = 3;
      const kwame = await createProvider(tx, { hours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '08:00', end: '14:00' })) });
      const buffered = await createListing(tx, kwame, { durationMinutes: 60, bufferBeforeMinutes: 30, bufferAfterMinutes: 30 });
      const plain = await createListing(tx, kwame, { durationMinutes: 60 });
      const ama = await createCustomer(tx);
      // Occupies 09:30–11:30.
      await requestBooking(tx, ama, buffered, utcDay(days, 10));
      expect(await slots(tx, plain, utcDate(days))).toEqual(['08:00', '08:30', '11:30', '12:00', '12:30', '13:00']);
      // This listing's own buffers must not overlap either: [s - 30, s + 90) clear of 09:30–11:30.
      expect(await slots(tx, buffered, utcDate(days))).toEqual(['08:00', '12:00', '12:30', '13:00']);
    });
  });

  it('offers nothing sooner than the minimum notice, then starts on the grid', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx);
      const listing = await createListing(tx, kwame, { durationMinutes: 30, minNoticeMinutes: 180 });
      const rows = await asAnon(tx, (q) => q<{ starts_at: Date }[]>`
        select starts_at from public.listing_slots(${listing.id}, current_date, current_date + 1)`);
      const earliest = Date.now() + 180 * 60_000;
      expect(rows.length).toBeGreaterThan(0);
      expect(rows[0]!.starts_at.getTime()).toBeGreaterThanOrEqual(earliest - 1000);
      expect(rows[0]!.starts_at.getTime() - earliest).toBeLessThan(30 * 60_000);
      expect(rows.every((r) => r.starts_at.getUTCMinutes() % 30 === 0 && r.starts_at.getUTCSeconds() === 0)).toBe(true);
    });
  });

  it('applies to unverified providers only where the market does not require verification', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx, { verified: false });
      const bobur = await createProvider(tx, { market: 'uz', verified: false });
      const inGhana = await createListing(tx, kwame);
      const inUzbekistan = await createListing(tx, bobur);
      await expect(slots(tx, inGhana, utcDate(3))).rejects.toMatchObject({ code: 'PT409', hint: 'provider_not_verified' });
      expect((await slots(tx, inUzbekistan, utcDate(3))).length).toBeGreaterThan(0);
    });
  });

  it.each([
    ['the end before the start', 5, 3, { code: '22023', hint: 'invalid_time_range' }],
    ['more than 31 days', 1, 40, { code: '22023', hint: 'date_range_too_long' }],
  ])('refuses a period with %s', async (_, from, to, error) => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx);
      const listing = await createListing(tx, kwame);
      await expect(slots(tx, listing, utcDate(from), utcDate(to))).rejects.toMatchObject(error);
    });
  });

  it('answers unknown and inactive listings with stable errors', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx);
      const paused = await createListing(tx, kwame, { active: false });
      await expect(
        asAnon(tx, (q) => q`select * from public.listing_slots('00000000-0000-4000-8000-000000000000', current_date, current_date)`),
      ).rejects.toMatchObject({ code: 'PT404', hint: 'listing_not_found' });
      await expect(slots(tx, paused, utcDate(2))).rejects.toMatchObject({ code: 'PT409', hint: 'listing_inactive' });
      await tx`update public.providers set active = false where id = ${kwame.id}`;
      const other = await tx`select id from public.service_listings where provider_id = ${kwame.id}`;
      await tx`update public.service_listings set active = true where id = ${other[0]!.id}`;
      await expect(slots(tx, paused, utcDate(2))).rejects.toMatchObject({ code: 'PT409', hint: 'provider_inactive' });
    });
  });
});
