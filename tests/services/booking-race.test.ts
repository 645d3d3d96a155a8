// Repeated real races for one provider's time. Every loser must get the stable
// slot_unavailable error — never a deadlock, which exclusion constraints produce when
// two conflicting inserts wait on each other (private.lock_provider_calendar).
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { asUser, db, deleteUsers, type TestUser } from '../harness/db.ts';
import { createCustomer, createListing, createProvider, utcDay } from '../harness/services.ts';

const ROUNDS = 10;
const RACERS = 8;
const users: TestUser[] = [];

afterAll(async () => {
  await deleteUsers(...users);
});

describe('racing for one provider', () => {
  it(`${ROUNDS} rounds of ${RACERS} customers at once: one winner each, every loser slot_unavailable`, async () => {
    const provider = await createProvider(db());
    users.push(provider);
    const listing = await createListing(db(), provider, { priceMinor: 1000 });
    const outcomes: string[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const customers = await Promise.all(Array.from({ length: RACERS }, () => createCustomer(db())));
      users.push(...customers);
      const results = await Promise.allSettled(
        customers.map((customer, i) =>
          asUser(db(), customer, (q) => q`
            select id from public.request_booking(${listing.id}, ${utcDay(6 + round, 10, i * 5)}, 'Ring Road 1',
                                                  ${provider.lat}, ${provider.lng}, ${randomUUID()})`),
        ),
      );
      const won = results.filter((r) => r.status === 'fulfilled').length;
      expect(won, `round ${round}`).toBe(1);
      for (const r of results) {
        outcomes.push(r.status === 'fulfilled' ? 'won' : `${(r.reason as { code?: string }).code}/${(r.reason as { hint?: string }).hint}`);
      }
    }
    expect(outcomes.filter((o) => o !== 'won' && o !== 'PT409/slot_unavailable')).toEqual([]);
  });
});
