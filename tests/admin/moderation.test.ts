import { describe, expect, it } from 'vitest';
import { asAnon, asService, asUser, rollback, type TestUser, type Tx } from '../harness/db.ts';
import {
  completedBooking,
  createAdmin,
  createCustomer,
  createListing,
  createProvider,
  startedBooking,
  uploadObject,
} from '../harness/services.ts';

// Every moderation action needs a reason, and the audit log keeps it with who acted and
// the row before and after. Nobody can change those entries afterwards.

interface Scene {
  admin: TestUser;
  customer: TestUser;
  provider: TestUser;
  /** A customer who is suspended already (for restore_user). */
  suspended: TestUser;
  /** A provider with a pending verification request. */
  applicant: TestUser;
  verificationId: string;
  /** A verified provider (for revoke_verification). */
  badgeHolder: TestUser;
  /** A customer's review of a completed booking, and one already hidden. */
  reviewId: string;
  hiddenReviewId: string;
  disputeId: string;
}

async function scene(tx: Tx): Promise<Scene> {
  const admin = await createAdmin(tx);
  const customer = await createCustomer(tx);
  const provider = await createProvider(tx);
  const suspended = await createCustomer(tx);
  await asUser(tx, admin, (q) => q`select public.suspend_user(${suspended.id}, 'Fake bookings')`);

  const applicant = await createProvider(tx, { verified: false });
  const doc = await uploadObject(tx, applicant, 'verification-documents', 'card.pdf');
  const [request] = await asUser(tx, applicant, (q) => q`select * from public.submit_verification(${[doc]})`);
  const badgeHolder = await createProvider(tx);

  const listing = await createListing(tx, provider);
  const done = await completedBooking(tx, customer, provider, listing);
  const [review] = await asUser(tx, customer, (q) => q`select * from public.submit_review(${done.id}, 1, 'Awful')`);
  const other = await createCustomer(tx);
  const secondListing = await createListing(tx, provider);
  const alsoDone = await completedBooking(tx, other, provider, secondListing);
  const [hidden] = await asUser(tx, other, (q) => q`select * from public.submit_review(${alsoDone.id}, 1, 'Rude')`);
  await asUser(tx, admin, (q) => q`select public.hide_review(${hidden!.id}, 'Insults')`);

  const running = await startedBooking(tx, customer, badgeHolder, await createListing(tx, badgeHolder));
  const [dispute] = await asUser(tx, customer, (q) => q`select * from public.open_dispute(${running.id}, 'Never finished', ${[]})`);

  return {
    admin, customer, provider, suspended, applicant, badgeHolder,
    verificationId: request!.id as string,
    reviewId: review!.id as string,
    hiddenReviewId: hidden!.id as string,
    disputeId: dispute!.id as string,
  };
}

/** The newest audit entry about a row. */
async function lastEntry(tx: Tx, table: string, recordId: string) {
  const [row] = await tx`
    select id, actor_id, action, reason, old_data, new_data from public.audit_log
    where table_name = ${table} and record_id = ${recordId} order by id desc limit 1`;
  return row;
}

/** Entries this test's admin wrote (other test files commit entries concurrently). */
async function auditCount(tx: Tx, actorId: string): Promise<number> {
  const [row] = await tx`select count(*)::int as n from public.audit_log where actor_id = ${actorId}`;
  return row!.n as number;
}

interface Action {
  /** The call, with `reason` in place of the reason. */
  sql: (s: Scene, reason: string | null) => string;
  /** Where its audit entry lands. */
  table: string;
  record: (s: Scene) => string;
  action: string;
  old: Record<string, unknown>;
  new: Record<string, unknown>;
}

const literal = (reason: string | null) => (reason === null ? 'null' : `'${reason.replace(/'/g, "''")}'`);

const ACTIONS: Record<string, Action> = {
  suspend_user: {
    sql: (s, r) => `select public.suspend_user('${s.customer.id}', ${literal(r)})`,
    table: 'public.accounts', record: (s) => s.customer.id, action: 'account.status_changed',
    old: { status: 'active' }, new: { status: 'suspended' },
  },
  restore_user: {
    sql: (s, r) => `select public.restore_user('${s.suspended.id}', ${literal(r)})`,
    table: 'public.accounts', record: (s) => s.suspended.id, action: 'account.status_changed',
    old: { status: 'suspended' }, new: { status: 'active' },
  },
  approve_verification: {
    sql: (s, r) => `select public.approve_verification('${s.verificationId}', ${literal(r)})`,
    table: 'public.provider_verifications', record: (s) => s.verificationId, action: 'verification.decided',
    old: { status: 'pending' }, new: { status: 'approved' },
  },
  reject_verification: {
    sql: (s, r) => `select public.reject_verification('${s.verificationId}', ${literal(r)})`,
    table: 'public.provider_verifications', record: (s) => s.verificationId, action: 'verification.decided',
    old: { status: 'pending' }, new: { status: 'rejected' },
  },
  revoke_verification: {
    sql: (s, r) => `select public.revoke_verification('${s.applicant.id}', ${literal(r)})`,
    table: 'public.provider_verifications', record: (s) => s.verificationId, action: 'verification.decided',
    old: { status: 'pending' }, new: { status: 'rejected' },
  },
  hide_review: {
    sql: (s, r) => `select public.hide_review('${s.reviewId}', ${literal(r)})`,
    table: 'public.reviews', record: (s) => s.reviewId, action: 'review.moderated',
    old: { hidden_at: null }, new: { hidden_reason: expect.any(String) },
  },
  unhide_review: {
    sql: (s, r) => `select public.unhide_review('${s.hiddenReviewId}', ${literal(r)})`,
    table: 'public.reviews', record: (s) => s.hiddenReviewId, action: 'review.moderated',
    old: { hidden_reason: 'Insults' }, new: { hidden_at: null, hidden_reason: null },
  },
  resolve_dispute: {
    sql: (s, r) => `select public.resolve_dispute('${s.disputeId}', 'full_refund', null, ${literal(r)})`,
    table: 'public.disputes', record: (s) => s.disputeId, action: 'dispute.status_changed',
    old: { status: 'open' }, new: { status: 'resolved', outcome: 'full_refund' },
  },
};
const NAMES = Object.keys(ACTIONS);

describe('moderation', () => {
  it.each(NAMES)('%s records the admin, the reason and the row before and after', async (name) => {
    await rollback(async (tx) => {
      const s = await scene(tx);
      const action = ACTIONS[name]!;
      await asUser(tx, s.admin, (q) => q.unsafe(action.sql(s, `  ${name}: checked with the team  `)));
      const entry = await lastEntry(tx, action.table, action.record(s));
      expect(entry).toMatchObject({
        actor_id: s.admin.id,
        action: action.action,
        reason: expect.stringContaining(`${name}: checked with the team`),
        old_data: action.old,
        new_data: action.new,
      });
      // Admins read it back through the API.
      const seen = await asUser(tx, s.admin, (q) => q`select reason from public.audit_log where id = ${entry!.id}`);
      expect(seen).toEqual([{ reason: entry!.reason }]);
    });
  });

  it('revoking a badge records the revocation itself with its reason', async () => {
    await rollback(async (tx) => {
      const s = await scene(tx);
      await asUser(tx, s.admin, (q) => q`select public.revoke_verification(${s.badgeHolder.id}, 'Licence expired')`);
      const [entry] = await tx`
        select actor_id, action, reason, new_data ->> 'status' as status from public.audit_log
        where table_name = 'public.provider_verifications' and new_data ->> 'provider_id' = ${s.badgeHolder.id}`;
      expect(entry).toEqual({ actor_id: s.admin.id, action: 'verification.revoked', reason: 'Licence expired', status: 'revoked' });
    });
  });

  it.each(NAMES.flatMap((name) => [[name, null], [name, ''], [name, '   ']] as [string, string | null][]))(
    '%s without a reason (%j) is refused with reason_required and changes nothing',
    async (name, reason) => {
      await rollback(async (tx) => {
        const s = await scene(tx);
        const action = ACTIONS[name]!;
        const before = await lastEntry(tx, action.table, action.record(s));
        const entries = await auditCount(tx, s.admin.id);
        await expect(asUser(tx, s.admin, (q) => q.unsafe(action.sql(s, reason)))).rejects.toMatchObject({
          code: '22023',
          hint: 'reason_required',
        });
        expect(await auditCount(tx, s.admin.id)).toBe(entries);
        expect(await lastEntry(tx, action.table, action.record(s))).toEqual(before);
      });
    },
  );

  it.each(NAMES)('%s is refused to customers, providers and anonymous clients', async (name) => {
    await rollback(async (tx) => {
      const s = await scene(tx);
      const action = ACTIONS[name]!;
      for (const user of [s.customer, s.provider]) {
        await expect(asUser(tx, user, (q) => q.unsafe(action.sql(s, 'Because')))).rejects.toMatchObject({ code: '42501', hint: 'forbidden' });
      }
      await expect(asAnon(tx, (q) => q.unsafe(action.sql(s, 'Because')))).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('every public moderation function takes a reason; none can be called without one', async () => {
    await rollback(async (tx) => {
      const rows = await tx`
        select p.proname as name, p.proargnames as args
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'public' and p.proname = any(${NAMES})
        order by p.proname collate "C"`;
      expect(rows.map((r) => r.name)).toEqual([...NAMES].sort());
      for (const row of rows) {
        expect(row.args as string[], row.name as string).toContain(row.name === 'resolve_dispute' ? 'note' : 'reason');
      }
      // The reasonless signatures are gone.
      await expect(tx.savepoint((sp) => sp`select public.unhide_review(gen_random_uuid())`)).rejects.toMatchObject({ code: '42883' });
      await expect(tx.savepoint((sp) => sp`select public.approve_verification(gen_random_uuid())`)).rejects.toMatchObject({ code: '42883' });
    });
  });

  it.each([
    ['a review hidden', (s: Scene) => `update public.reviews set hidden_at = now(), hidden_reason = 'x' where id = '${s.reviewId}'`, 'public.reviews', (s: Scene) => s.reviewId],
    ['a dispute resolved', (s: Scene) => `update public.disputes set status = 'resolved', outcome = 'full_refund', refund_minor = 0, resolved_at = now() where id = '${s.disputeId}'`, 'public.disputes', (s: Scene) => s.disputeId],
    ['a verification approved', (s: Scene) => `update public.provider_verifications set status = 'approved', decided_at = now() where id = '${s.verificationId}'`, 'public.provider_verifications', (s: Scene) => s.verificationId],
  ])('refuses %s by any other path (here the service role) without a reason, and audits it with one', async (_, update, table, record) => {
    await rollback(async (tx) => {
      const s = await scene(tx);
      // The reason is per transaction (per request, through PostgREST): start this one without.
      await tx`select set_config('soko.audit_reason', '', true)`;
      await expect(asService(tx, (q) => q.unsafe(update(s)))).rejects.toMatchObject({ code: '22023', hint: 'reason_required' });
      await asService(tx, async (q) => {
        await q`select private.set_audit_reason('Support ticket 4411')`;
        await q.unsafe(update(s));
      });
      expect(await lastEntry(tx, table, record(s))).toMatchObject({ actor_id: null, reason: 'Support ticket 4411' });
    });
  });

  it('moderation entries cannot be changed or removed, by the admin, the service role or the database owner', async () => {
    await rollback(async (tx) => {
      const s = await scene(tx);
      await asUser(tx, s.admin, (q) => q`select public.hide_review(${s.reviewId}, 'Spam')`);
      const entry = await lastEntry(tx, 'public.reviews', s.reviewId);
      const statements = [
        `update public.audit_log set reason = 'nothing happened' where id = ${entry!.id}`,
        `delete from public.audit_log where id = ${entry!.id}`,
      ];
      for (const statement of statements) {
        await expect(asUser(tx, s.admin, (q) => q.unsafe(statement))).rejects.toMatchObject({ code: '42501' });
        await expect(asService(tx, (q) => q.unsafe(statement))).rejects.toMatchObject({ code: '42501' });
        await expect(tx.savepoint((sp) => sp.unsafe(statement))).rejects.toMatchObject({ code: 'PT409', hint: 'audit_log_immutable' });
      }
      await expect(tx.savepoint((sp) => sp`truncate public.audit_log`)).rejects.toMatchObject({ code: 'PT409', hint: 'audit_log_immutable' });
      expect(await lastEntry(tx, 'public.reviews', s.reviewId)).toEqual(entry);
    });
  });
});
