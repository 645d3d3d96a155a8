import { describe, expect, it } from 'vitest';
import { asUser, rollback, type Tx } from '../harness/db.ts';
import { createAdmin, createCategory, createCustomer, createListing, createProvider, startedBooking, uploadObject } from '../harness/services.ts';

async function lastEntry(tx: Tx, table: string, recordId: string) {
  const [row] = await tx`
    select actor_id, action, reason, old_data, new_data from public.audit_log
    where table_name = ${table} and record_id = ${recordId} order by id desc limit 1`;
  return row;
}

describe('audit of services moderation', () => {
  it('records a rejected verification with the admin and the reason', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx, { verified: false });
      const admin = await createAdmin(tx);
      const doc = await uploadObject(tx, kwame, 'verification-documents', 'card.pdf');
      const [request] = await asUser(tx, kwame, (q) => q`select * from public.submit_verification(${[doc]})`);
      await asUser(tx, admin, (q) => q`select public.reject_verification(${request!.id}, 'Photo unreadable')`);
      expect(await lastEntry(tx, 'public.provider_verifications', request!.id)).toMatchObject({
        actor_id: admin.id,
        action: 'verification.decided',
        reason: 'Photo unreadable',
        old_data: { status: 'pending' },
        new_data: { status: 'rejected' },
      });
    });
  });

  it('records a resolved dispute with the note as its reason', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx);
      const ama = await createCustomer(tx);
      const admin = await createAdmin(tx);
      const listing = await createListing(tx, kwame, { priceMinor: 20000 });
      const booking = await startedBooking(tx, ama, kwame, listing);
      const [dispute] = await asUser(tx, ama, (q) => q`select * from public.open_dispute(${booking.id}, 'No show', ${[]})`);
      await asUser(tx, admin, (q) => q`select public.resolve_dispute(${dispute!.id}, 'full_refund', null, 'Provider never came')`);
      expect(await lastEntry(tx, 'public.disputes', dispute!.id)).toMatchObject({
        actor_id: admin.id,
        action: 'dispute.status_changed',
        reason: 'Provider never came',
        new_data: { status: 'resolved' },
      });
    });
  });

  it('records category changes by admins', async () => {
    await rollback(async (tx) => {
      const admin = await createAdmin(tx);
      const id = await createCategory(tx);
      await asUser(tx, admin, (q) => q`update public.service_categories set active = false where id = ${id}`);
      expect(await lastEntry(tx, 'public.service_categories', id)).toMatchObject({
        actor_id: admin.id,
        action: 'service_categories.update',
        old_data: { active: true },
        new_data: { active: false },
      });
    });
  });
});
