import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asAnon, asUser, createUser, db, rollback, type Queryable } from '../harness/db.ts';

type Kind = 'platform_revenue' | 'gateway_clearing' | 'customer_wallet' | 'provider_earnings' | 'escrow' | 'commission_receivable' | 'payout_clearing';

async function account(q: Queryable, kind: Kind, opts: { currency?: string; owner?: string; gateway?: string; subject?: string } = {}): Promise<number> {
  const [row] = await q`select private.ledger_account(${kind}, ${opts.currency ?? 'GHS'}, ${opts.owner ?? null}, ${opts.gateway ?? null}, ${opts.subject ?? null}) as id`;
  return Number(row!.id);
}

async function post(q: Queryable, lines: [number, number][], key: string = randomUUID(), currency = 'GHS'): Promise<number> {
  const json = JSON.stringify(lines.map(([account_id, amount_minor]) => ({ account_id, amount_minor })));
  const [row] = await q`select private.post_entry('test.transfer', ${currency}, ${json}::text::jsonb, ${key}) as id`;
  return Number(row!.id);
}

/** Three random capital letters: an ISO-shaped code no real market uses here. */
function randomCurrency(): string {
  return Array.from({ length: 3 }, () => String.fromCharCode(65 + Math.floor(Math.random() * 26))).join('');
}

async function balance(q: Queryable, id: number): Promise<number> {
  const [row] = await q`select balance_minor from public.ledger_accounts where id = ${id}`;
  return Number(row!.balance_minor);
}

describe('the ledger', () => {
  it('posts a balanced entry and moves each balance on its normal side', async () => {
    await rollback(async (tx) => {
      const clearing = await account(tx, 'gateway_clearing', { gateway: `gw-${randomUUID()}` });
      const escrow = await account(tx, 'escrow', { subject: randomUUID() });
      await post(tx, [[clearing, 10_000], [escrow, -10_000]]);
      await tx`set constraints all immediate`;
      expect(await balance(tx, clearing)).toBe(10_000);
      expect(await balance(tx, escrow)).toBe(10_000);
    });
  });

  it('refuses, when the transaction ends, an entry whose lines do not sum to zero', async () => {
    await rollback(async (tx) => {
      const clearing = await account(tx, 'gateway_clearing', { gateway: `gw-${randomUUID()}` });
      const escrow = await account(tx, 'escrow', { subject: randomUUID() });
      await post(tx, [[clearing, 10_000], [escrow, -9_999]]);
      await expect(tx`set constraints all immediate`).rejects.toMatchObject({ code: 'PT409', hint: 'ledger_unbalanced' });
    });
  });

  it('refuses an entry with a single line or no lines', async () => {
    await rollback(async (tx) => {
      const revenue = await account(tx, 'platform_revenue', { currency: 'EGP' });
      await tx.savepoint(async (sp) => {
        await sp`insert into public.journal_entries (currency, kind, idempotency_key) values ('EGP', 'test.empty', ${randomUUID()})`;
        await expect(sp`set constraints all immediate`).rejects.toMatchObject({ hint: 'ledger_unbalanced' });
      }).catch(() => undefined);
      await expect(
        tx.savepoint(async (sp) => {
          await post(sp, [[revenue, 0]], randomUUID(), 'EGP');
        }),
      ).rejects.toMatchObject({ code: '23514', constraint_name: 'journal_line_amount_not_zero' });
    });
  });

  it('refuses a line in another currency than its account', async () => {
    await rollback(async (tx) => {
      const ghs = await account(tx, 'escrow', { subject: randomUUID(), currency: 'GHS' });
      const uzs = await account(tx, 'escrow', { subject: randomUUID(), currency: 'UZS' });
      await expect(post(tx, [[ghs, -100], [uzs, 100]])).rejects.toMatchObject({ code: '23503', constraint_name: 'journal_lines_account_fkey' });
    });
  });

  it('never lets a wallet, earnings or escrow go below zero; revenue and clearing may', async () => {
    await rollback(async (tx) => {
      // A currency of its own, so the platform revenue account starts at zero here.
      const currency = randomCurrency();
      const user = await createUser(tx);
      const wallet = await account(tx, 'customer_wallet', { owner: user.id, currency });
      const revenue = await account(tx, 'platform_revenue', { currency });
      const clearing = await account(tx, 'gateway_clearing', { gateway: `gw-${randomUUID()}`, currency });
      await post(tx, [[clearing, 500], [wallet, -500]], randomUUID(), currency); // top-up: wallet 500
      await expect(tx.savepoint((sp) => post(sp, [[wallet, 501], [revenue, -501]], randomUUID(), currency))).rejects.toMatchObject({
        code: 'PT409',
        hint: 'insufficient_funds',
      });
      await post(tx, [[wallet, 500], [clearing, -500]], randomUUID(), currency); // spend exactly all of it
      expect(await balance(tx, wallet)).toBe(0);
      await post(tx, [[revenue, 300], [clearing, -300]], randomUUID(), currency); // a refund of commission
      expect(await balance(tx, revenue)).toBe(-300);
      expect(await balance(tx, clearing)).toBe(-300);
    });
  });

  it('returns the same entry when the same posting is retried, and refuses a different one under that key', async () => {
    await rollback(async (tx) => {
      const clearing = await account(tx, 'gateway_clearing', { gateway: `gw-${randomUUID()}` });
      const escrow = await account(tx, 'escrow', { subject: randomUUID() });
      const key = `payment:${randomUUID()}`;
      const first = await post(tx, [[clearing, 2_500], [escrow, -2_500]], key);
      const again = await post(tx, [[escrow, -2_500], [clearing, 2_500]], key);
      expect(again).toBe(first);
      expect(await balance(tx, escrow)).toBe(2_500);
      await expect(tx.savepoint((sp) => post(sp, [[clearing, 9_999], [escrow, -9_999]], key))).rejects.toMatchObject({
        hint: 'ledger_idempotency_conflict',
      });
    });
  });

  it('is append-only, even for the table owner', async () => {
    await rollback(async (tx) => {
      const clearing = await account(tx, 'gateway_clearing', { gateway: `gw-${randomUUID()}` });
      const escrow = await account(tx, 'escrow', { subject: randomUUID() });
      const entry = await post(tx, [[clearing, 100], [escrow, -100]]);
      for (const statement of [
        `update public.journal_lines set amount_minor = 1 where entry_id = ${entry}`,
        `delete from public.journal_lines where entry_id = ${entry}`,
        `update public.journal_entries set memo = 'x' where id = ${entry}`,
        `delete from public.journal_entries where id = ${entry}`,
      ]) {
        await expect(
          tx.savepoint(async (sp) => {
            await sp`set local role postgres`;
            await sp.unsafe(statement);
          }),
        ).rejects.toMatchObject({ hint: 'ledger_append_only' });
      }
    });
  });

  it('cannot be truncated, even by the table owner', async () => {
    for (const table of ['journal_lines', 'journal_entries']) {
      await rollback(async (tx) => {
        await tx`set local role postgres`;
        await expect(tx.unsafe(`truncate public.${table} cascade`)).rejects.toMatchObject({ hint: 'ledger_append_only' });
      });
    }
  });

  describe('who sees what', () => {
    it('a user sees their own wallet and its history, not anyone else’s; an admin sees all', async () => {
      await rollback(async (tx) => {
        const ama = await createUser(tx);
        const kofi = await createUser(tx);
        const admin = await createUser(tx, { roles: ['admin'] });
        const clearing = await account(tx, 'gateway_clearing', { gateway: `gw-${randomUUID()}` });
        const amaWallet = await account(tx, 'customer_wallet', { owner: ama.id });
        const kofiWallet = await account(tx, 'customer_wallet', { owner: kofi.id });
        const amaEntry = await post(tx, [[clearing, 700], [amaWallet, -700]]);
        await post(tx, [[clearing, 900], [kofiWallet, -900]]);
        const seen = await asUser(tx, ama, async (q) => ({
          accounts: await q`select id, balance_minor from public.ledger_accounts where id in ${q([amaWallet, kofiWallet, clearing])}`,
          lines: await q`select account_id from public.journal_lines where account_id in ${q([amaWallet, kofiWallet, clearing])}`,
          entries: await q`select id from public.journal_entries where id = ${amaEntry}`,
        }));
        expect(seen.accounts.map((a) => Number(a.id))).toEqual([amaWallet]);
        expect(seen.lines.map((l) => Number(l.account_id))).toEqual([amaWallet]);
        expect(seen.entries.map((e) => Number(e.id))).toEqual([amaEntry]);
        const adminSees = await asUser(tx, admin, (q) => q`select id from public.ledger_accounts where id in ${q([amaWallet, kofiWallet, clearing])}`);
        expect(adminSees).toHaveLength(3);
        expect(await asAnon(tx, (q) => q`select id from public.ledger_accounts limit 1`).catch((e) => e.code)).toBe('42501');
      });
    });

    it('nobody writes the ledger or posts entries through the API', async () => {
      await rollback(async (tx) => {
        const ama = await createUser(tx);
        const admin = await createUser(tx, { roles: ['admin'] });
        const wallet = await account(tx, 'customer_wallet', { owner: ama.id });
        for (const user of [ama, admin]) {
          await expect(asUser(tx, user, (q) => q`update public.ledger_accounts set balance_minor = 1000000 where id = ${wallet}`)).rejects.toMatchObject({ code: '42501' });
          await expect(
            asUser(tx, user, (q) => q`select private.post_entry('x.y', 'GHS', '[]'::jsonb, 'k')`),
          ).rejects.toMatchObject({ code: '42501' });
        }
      });
    });
  });

  // Real connections at once. Ledger history is append-only, so these entries stay in
  // the test database (on accounts of their own: fresh gateways and escrow subjects).
  it('keeps every balance exact and non-negative under concurrent postings', async () => {
    const gateway = `gw-${randomUUID()}`;
    const clearing = await account(db(), 'gateway_clearing', { gateway });
    const escrows = await Promise.all(Array.from({ length: 4 }, () => account(db(), 'escrow', { subject: randomUUID() })));
    const attempts = 400;
    const results = await Promise.allSettled(
      Array.from({ length: attempts }, (_, i) => {
        const escrow = escrows[i % escrows.length]!;
        // Odd attempts try to release more than was ever paid in: some must fail.
        const amount = 100 + (i % 7);
        const lines: [number, number][] = i % 2 === 0 ? [[clearing, amount], [escrow, -amount]] : [[escrow, amount * 2], [clearing, -amount * 2]];
        return db().begin((tx) => post(tx, lines, `${gateway}:${i}`));
      }),
    );
    const refused = results.filter((r) => r.status === 'rejected');
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toMatchObject({ hint: 'insufficient_funds' });
    const [totals] = await db()`
      select count(*) filter (where a.balance_minor < 0 and not a.allow_negative) as negative,
             (select count(*) from private.ledger_drift()) as drift,
             (select coalesce(sum(l.amount_minor), 0) from public.journal_lines l
               join public.journal_entries e on e.id = l.entry_id where e.idempotency_key like ${gateway + ':%'}) as net
      from public.ledger_accounts a where a.id = any(${[clearing, ...escrows]}::bigint[])`;
    expect(Number(totals!.negative)).toBe(0);
    expect(Number(totals!.drift)).toBe(0);
    expect(Number(totals!.net)).toBe(0);
    const [posted] = await db()`select count(*)::int as n from public.journal_entries where idempotency_key like ${gateway + ':%'}`;
    expect(posted!.n).toBe(attempts - refused.length);
  });
});
