// Who can read, create, change and delete what, table by table, for every persona:
// anonymous, customer A (who booked), customer B (a stranger), provider A (booked),
// provider B (a stranger) and an admin. One scene holds a row of every kind.
import { describe, expect, it } from 'vitest';
import { asAnon, asUser, rollback, type TestUser, type Tx } from '../harness/db.ts';
import {
  completedBooking,
  createAdmin,
  createCustomer,
  createListing,
  createProvider,
  uploadObject,
} from '../harness/services.ts';

type Persona = 'anon' | 'customerA' | 'customerB' | 'providerA' | 'providerB' | 'admin';
const PERSONAS: Persona[] = ['anon', 'customerA', 'customerB', 'providerA', 'providerB', 'admin'];

async function buildScene(tx: Tx) {
  const providerA = await createProvider(tx);
  const providerB = await createProvider(tx);
  const customerA = await createCustomer(tx);
  const customerB = await createCustomer(tx);
  const admin = await createAdmin(tx);
  const listing = await createListing(tx, providerA);
  const doc = await uploadObject(tx, providerA, 'verification-documents', 'id.pdf');
  await asUser(tx, providerA, async (q) => {
    await q`insert into public.availability_exceptions (kind, on_date) values ('time_off', current_date + 60)`;
    await q`select public.submit_verification(${[doc]})`;
  });
  const booking = await completedBooking(tx, customerA, providerA, listing);
  await asUser(tx, customerA, (q) => q`select public.submit_review(${booking.id}, 5, 'Great')`);
  await asUser(tx, providerA, (q) => q`select public.submit_review(${booking.id}, 4, 'Fine')`);
  const evidence = await uploadObject(tx, customerA, 'dispute-evidence', 'photo.jpg');
  const [dispute] = await asUser(tx, customerA, (q) => q`select id from public.open_dispute(${booking.id}, 'Broken again', ${[evidence]})`);
  await asUser(tx, customerA, (q) => q`select public.comment_on_dispute(${dispute!.id}, 'See the photo')`);
  const users: Record<Exclude<Persona, 'anon'>, TestUser> = { customerA, customerB, providerA, providerB, admin };
  return { users, providerA, providerB, listing, booking, disputeId: dispute!.id as string };
}

type Scene = Awaited<ReturnType<typeof buildScene>>;

/** Runs `sql` as the persona; 'denied' when the database refuses (42501), else the row count. */
async function attempt(tx: Tx, scene: Scene, persona: Persona, sql: string): Promise<number | 'denied'> {
  const run = (q: Tx) => q.unsafe(sql);
  try {
    const rows = persona === 'anon' ? await asAnon(tx, run) : await asUser(tx, scene.users[persona], run);
    return rows.count ?? rows.length;
  } catch (error) {
    if ((error as { code?: string }).code === '42501') return 'denied';
    throw error;
  }
}

/** Each table's rows belonging to the scene. */
function scope(s: Scene): Record<string, string> {
  const a = `'${s.providerA.id}'`;
  const b = `'${s.providerB.id}'`;
  const booking = `'${s.booking.id}'`;
  const dispute = `'${s.disputeId}'`;
  return {
    service_settings: `market_code = 'gh'`,
    cancellation_refund_tiers: `market_code = 'gh'`,
    booking_transitions: `from_status = 'requested' and to_status = 'accepted'`,
    service_categories: `id = '${s.listing.category_id as string}'`,
    providers: `id in (${a}, ${b})`,
    provider_locations: `provider_id in (${a}, ${b})`,
    provider_verifications: `provider_id = ${a}`,
    service_listings: `provider_id = ${a}`,
    availability_rules: `provider_id = ${a} and weekday = 1`,
    availability_exceptions: `provider_id = ${a}`,
    bookings: `id = ${booking}`,
    booking_timeline: `booking_id = ${booking}`,
    booking_events: `booking_id = ${booking}`,
    reviews: `booking_id = ${booking}`,
    disputes: `id = ${dispute}`,
    dispute_evidence: `dispute_id = ${dispute}`,
    dispute_comments: `dispute_id = ${dispute}`,
  };
}

// Rows of the scene each persona reads: anon, customer A, customer B, provider A, provider B, admin.
const READS: Record<string, (number | 'denied')[]> = {
  service_settings: [1, 1, 1, 1, 1, 1],
  cancellation_refund_tiers: [3, 3, 3, 3, 3, 3],
  booking_transitions: [1, 1, 1, 1, 1, 1],
  service_categories: [1, 1, 1, 1, 1, 1],
  providers: [2, 2, 2, 2, 2, 2],
  provider_locations: ['denied', 0, 0, 1, 1, 2],
  provider_verifications: ['denied', 0, 0, 1, 0, 1],
  service_listings: [1, 1, 1, 1, 1, 1],
  availability_rules: [1, 1, 1, 1, 1, 1],
  availability_exceptions: ['denied', 0, 0, 1, 0, 1],
  bookings: ['denied', 1, 0, 1, 0, 1],
  // requested, accepted, in_progress, completed, disputed
  booking_timeline: ['denied', 5, 0, 5, 0, 5],
  // The same five, and a review.received for each of the two reviews.
  booking_events: ['denied', 0, 0, 0, 0, 7],
  // The customer's review of the provider is public; the provider's review of the
  // customer is for the customer, providers and admins.
  reviews: [1, 2, 1, 2, 2, 2],
  disputes: ['denied', 1, 0, 1, 0, 1],
  dispute_evidence: ['denied', 1, 0, 1, 0, 1],
  dispute_comments: ['denied', 1, 0, 1, 0, 1],
};

// A harmless change to each table, to see who may make it.
const CHANGES: Record<string, string> = {
  service_settings: 'request_ttl = request_ttl',
  cancellation_refund_tiers: 'refund_percent = refund_percent',
  booking_transitions: 'requires_reason = requires_reason',
  service_categories: 'position = position',
  providers: 'business_name = business_name',
  provider_locations: 'lat = lat',
  provider_verifications: 'note = note',
  service_listings: 'price_minor = price_minor',
  availability_rules: 'end_time = end_time',
  availability_exceptions: 'note = note',
  bookings: 'notes = notes',
  booking_timeline: 'reason = reason',
  booking_events: 'processed_at = now()',
  reviews: 'comment = comment',
  disputes: 'reason = reason',
  dispute_evidence: 'note = note',
  dispute_comments: 'body = body',
};

// Rows each persona may change (and delete) directly; everything else goes through functions.
const WRITERS: Record<string, Partial<Record<Persona, number>>> = {
  service_settings: { admin: 1 },
  cancellation_refund_tiers: { admin: 3 },
  service_categories: { admin: 1 },
  service_listings: { providerA: 1 },
  availability_rules: { providerA: 1 },
  availability_exceptions: { providerA: 1 },
};
// Listings are never deleted (providers deactivate them; bookings point at them).
const NO_DELETE = new Set(['service_listings']);

describe('access to every services table, by persona', () => {
  it.each(Object.keys(READS))('%s: each persona reads exactly the rows they should', async (table) => {
    await rollback(async (tx) => {
      const scene = await buildScene(tx);
      const where = scope(scene)[table]!;
      const seen: (number | 'denied')[] = [];
      for (const persona of PERSONAS) seen.push(await attempt(tx, scene, persona, `select * from public.${table} where ${where}`));
      expect(seen).toEqual(READS[table]);
    });
  });

  it.each(Object.keys(CHANGES))('%s: only the owner or an admin changes or deletes rows directly', async (table) => {
    await rollback(async (tx) => {
      const scene = await buildScene(tx);
      const where = scope(scene)[table]!;
      for (const persona of PERSONAS) {
        const allowed = WRITERS[table]?.[persona] ?? 0;
        const changed = await attempt(tx, scene, persona, `update public.${table} set ${CHANGES[table]} where ${where}`);
        expect([persona, changed === 'denied' ? 0 : changed]).toEqual([persona, allowed]);
        const deleted = await attempt(tx, scene, persona, `delete from public.${table} where ${where} and false`);
        if (allowed === 0 || NO_DELETE.has(table)) {
          // Either no privilege at all, or a policy that leaves nothing to delete.
          const really = await attempt(tx, scene, persona, `delete from public.${table} where ${where}`);
          expect([persona, really === 'denied' ? 0 : really]).toEqual([persona, 0]);
        } else {
          expect([persona, deleted]).toEqual([persona, 0]);
        }
      }
    });
  });

  it.each(['bookings', 'booking_timeline', 'booking_events', 'reviews', 'disputes', 'dispute_evidence', 'dispute_comments',
    'providers', 'provider_locations', 'provider_verifications', 'booking_transitions'])(
    '%s: nobody inserts rows directly, admins included',
    async (table) => {
      await rollback(async (tx) => {
        const scene = await buildScene(tx);
        for (const persona of PERSONAS) {
          expect([persona, await attempt(tx, scene, persona, `insert into public.${table} default values`)]).toEqual([persona, 'denied']);
        }
      });
    },
  );

  it('every public services table has row level security on', async () => {
    await rollback(async (tx) => {
      const rows = await tx`
        select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind = 'r' and c.relname = any(${Object.keys(READS)}) and c.relrowsecurity`;
      expect(rows.map((r) => r.relname).sort()).toEqual(Object.keys(READS).sort());
    });
  });
});

describe('every services RPC, by persona', () => {
  // Functions anonymous clients may call; every other public function refuses them.
  const ANON = new Set(['listing_slots', 'search_services']);

  it('anonymous clients can call only search and slots', async () => {
    const rows = await rollback((tx) => tx<{ name: string; anon: boolean; authenticated: boolean }[]>`
      select p.proname as name,
             has_function_privilege('anon', p.oid, 'execute') as anon,
             has_function_privilege('authenticated', p.oid, 'execute') as authenticated
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'public' and p.proname = any(${[
        'save_provider_profile', 'submit_verification', 'approve_verification', 'reject_verification', 'revoke_verification',
        'listing_slots', 'request_booking', 'transition_booking', 'reschedule_booking', 'booking_refund_quote',
        'submit_review', 'hide_review', 'unhide_review', 'open_dispute', 'add_dispute_evidence', 'comment_on_dispute',
        'resolve_dispute', 'search_services', 'my_bookings',
      ]})`);
    expect(rows).toHaveLength(19);
    for (const row of rows) {
      expect([row.name, row.anon]).toEqual([row.name, ANON.has(row.name)]);
      expect([row.name, row.authenticated]).toEqual([row.name, true]);
    }
  });

  it('every public services function is security invoker; the definer logic lives in private', async () => {
    const rows = await rollback((tx) => tx`
      select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'public' and p.prosecdef`);
    expect(rows).toEqual([]);
  });

  it.each<[string, (s: Scene) => string, Partial<Record<Persona, string>>]>([
    ['approve_verification', (s) => `select public.approve_verification((select id from public.provider_verifications where provider_id = '${s.providerA.id}'), 'Documents checked')`,
      { customerA: 'forbidden', customerB: 'forbidden', providerA: 'forbidden', providerB: 'forbidden' }],
    ['hide_review', (s) => `select public.hide_review((select id from public.reviews where booking_id = '${s.booking.id}' limit 1), 'x')`,
      { customerA: 'forbidden', customerB: 'forbidden', providerA: 'forbidden', providerB: 'forbidden' }],
    ['resolve_dispute', (s) => `select public.resolve_dispute('${s.disputeId}', 'full_refund')`,
      { customerA: 'forbidden', customerB: 'forbidden', providerA: 'forbidden', providerB: 'forbidden' }],
    ['transition_booking', (s) => `select public.transition_booking('${s.booking.id}', 'completed')`,
      { customerB: 'booking_not_found', providerB: 'booking_not_found' }],
    ['reschedule_booking', (s) => `select public.reschedule_booking('${s.booking.id}', now() + interval '3 days')`,
      { customerB: 'booking_not_found', providerB: 'booking_not_found' }],
    ['submit_review', (s) => `select public.submit_review('${s.booking.id}', 5)`,
      { customerB: 'booking_not_found', providerB: 'booking_not_found' }],
    ['comment_on_dispute', (s) => `select public.comment_on_dispute('${s.disputeId}', 'hi')`,
      { customerB: 'dispute_not_found', providerB: 'dispute_not_found' }],
    ['booking_refund_quote', (s) => `select * from public.booking_refund_quote('${s.booking.id}')`,
      { customerB: 'booking_not_found', providerB: 'booking_not_found' }],
    ['open_dispute', (s) => `select public.open_dispute('${s.booking.id}', 'Not done')`,
      // Only the booking's parties open disputes; admins resolve them.
      { customerB: 'booking_not_found', providerB: 'booking_not_found', admin: 'booking_not_found' }],
    ['add_dispute_evidence', (s) => `select public.add_dispute_evidence('${s.disputeId}', '${s.users.customerB.id}/photo.jpg')`,
      { customerB: 'dispute_not_found', providerB: 'dispute_not_found' }],
    ['submit_verification', (s) => `select public.submit_verification(array['${s.users.customerA.id}/id.pdf'])`,
      { customerA: 'provider_role_required', customerB: 'provider_role_required', admin: 'provider_role_required' }],
    ['save_provider_profile', () => `select public.save_provider_profile('X', 'Africa/Accra', 5.6, -0.2)`,
      { customerA: 'provider_role_required', customerB: 'provider_role_required', admin: 'provider_role_required' }],
  ])('%s refuses the wrong personas with a stable code', async (_, sql, refusals) => {
    await rollback(async (tx) => {
      const scene = await buildScene(tx);
      for (const [persona, hint] of Object.entries(refusals) as [Persona, string][]) {
        const run = (q: Tx) => q.unsafe(sql(scene));
        await expect(asUser(tx, scene.users[persona as Exclude<Persona, 'anon'>], run), persona).rejects.toMatchObject({ hint });
      }
      await expect(asAnon(tx, (q) => q.unsafe(sql(scene)))).rejects.toMatchObject({ code: '42501' });
    });
  });
});
