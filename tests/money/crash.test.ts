// A settlement's connection dies halfway: nothing of it may persist. The settlement is
// started on a dedicated connection and made to wait inside its transaction (another
// connection holds the booking's escrow account, so the journal line blocks after the
// payment row, the inbox row and the entry header were written), then that backend is
// terminated. Afterwards the payment must be untouched and a redelivery must settle it.
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { db } from '../harness/db.ts';
import { balance, callback, deal, entriesFor, paymentRow, startPayment } from './helpers.ts';

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('a connection killed in the middle of a settlement', () => {
  it('leaves no journal entry, no line, no payment change and no inbox row; a redelivery then settles it', async () => {
    const d = await deal(db(), { priceMinor: 8_800 });
    const payment = await startPayment(db(), d.customer, d.booking.id);
    const [escrow] = await db()`select private.ledger_account('escrow', 'GHS', subject_id => ${d.booking.id}::uuid) as id`;
    const event = randomUUID();

    const victim = postgres(inject('databaseUrl'), { max: 1, onnotice: () => undefined });
    const blocker = postgres(inject('databaseUrl'), { max: 1, onnotice: () => undefined });
    try {
      const [{ pid }] = (await victim`select pg_backend_pid() as pid`) as unknown as [{ pid: number }];
      let release!: () => void;
      let locked!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const lockTaken = new Promise<void>((resolve) => (locked = resolve));
      const holding = blocker.begin(async (tx) => {
        await tx`select id from public.ledger_accounts where id = ${escrow!.id} for update`;
        locked();
        await held;
      });
      await lockTaken;

      // One simple-protocol query holding the whole transaction, so the client has nothing
      // more to send once its backend is gone.
      const report = JSON.stringify({ reference: payment.reference, status: 'succeeded', amount_minor: 8_800, currency: 'GHS', gateway_transaction_id: `tx-${event}` });
      const settling = victim.unsafe(`
        begin;
        select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role": "service_role"}', true);
        select private.handle_callback('fake', '${event}', 'crash test', '{}'::jsonb, true, $json$${report}$json$::jsonb);
        commit;`).then(
        () => 'committed',
        (error: unknown) => (error as { code?: string }).code ?? 'failed',
      );
      // The settlement is now waiting inside its transaction, on the escrow account.
      await waitFor(async () => {
        const [row] = await db()`select wait_event_type from pg_stat_activity where pid = ${pid}`;
        return row?.wait_event_type === 'Lock' ? true : undefined;
      });
      await db()`select pg_terminate_backend(${pid})`;
      expect(await settling).not.toBe('committed');
      release();
      await holding;
    } finally {
      await victim.end({ timeout: 1 }).catch(() => undefined);
      await blocker.end({ timeout: 1 }).catch(() => undefined);
    }

    expect(await paymentRow(db(), payment.id)).toMatchObject({ status: 'pending', captured_minor: 0n, commission_minor: null });
    expect(await entriesFor(db(), payment.id)).toEqual([]);
    const [after] = await db()`select count(*)::int as lines from public.journal_lines where account_id = ${escrow!.id}`;
    expect(after!.lines).toBe(0);
    const inbox = await db()`select id from public.webhook_inbox where gateway = 'fake' and event_id = ${event}`;
    expect(inbox).toEqual([]);
    expect((await db()`select count(*)::int as n from private.ledger_drift()`)[0]!.n).toBe(0);

    // The gateway redelivers: it settles normally.
    expect(await callback(db(), payment, { status: 'succeeded', amount: 8_800 }, event)).toMatchObject({ result: 'applied' });
    expect(await balance(db(), 'escrow', { subject: d.booking.id })).toBe(8_800);
  });
});
