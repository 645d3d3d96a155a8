import { describe, expect, it } from 'vitest';
import { asUser, rollback, type TestUser, type Tx } from '../harness/db.ts';
import { createAdmin, createProvider, uploadObject } from '../harness/services.ts';

/** Deletes as the Storage API does: the caller's DELETE, which the policies filter. */
function removeDocument(tx: Tx, user: TestUser, name: string): Promise<string[]> {
  return asUser(tx, user, async (q) => {
    await q`select set_config('storage.allow_delete_query', 'true', true)`;
    const rows = await q`delete from storage.objects where bucket_id = 'verification-documents' and name = ${name} returning name`;
    await q`select set_config('storage.allow_delete_query', '', true)`;
    return rows.map((r) => r.name as string);
  });
}

describe('verification documents', () => {
  it('cannot be deleted by the provider while a request refers to them, nor once approved', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx, { verified: false });
      const admin = await createAdmin(tx);
      const doc = await uploadObject(tx, kwame, 'verification-documents', 'card.pdf');
      const [request] = await asUser(tx, kwame, (q) => q`select * from public.submit_verification(${[doc]})`);
      expect(await removeDocument(tx, kwame, doc)).toEqual([]);
      await asUser(tx, admin, (q) => q`select public.approve_verification(${request!.id}, 'Documents match')`);
      expect(await removeDocument(tx, kwame, doc)).toEqual([]);
    });
  });

  it('can be deleted by the provider once rejected, or before being submitted', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx, { verified: false });
      const admin = await createAdmin(tx);
      const draft = await uploadObject(tx, kwame, 'verification-documents', 'draft.pdf');
      expect(await removeDocument(tx, kwame, draft)).toEqual([draft]);
      const doc = await uploadObject(tx, kwame, 'verification-documents', 'blurry.pdf');
      const [request] = await asUser(tx, kwame, (q) => q`select * from public.submit_verification(${[doc]})`);
      await asUser(tx, admin, (q) => q`select public.reject_verification(${request!.id}, 'Blurry')`);
      expect(await removeDocument(tx, kwame, doc)).toEqual([doc]);
    });
  });
});
