// The avatars and verification-documents buckets, driven the way the Storage API
// drives Postgres (supabase/storage src/internal/database/postgres/scope.ts,
// src/storage/uploader.ts, src/storage/database/pg.ts):
// - every request runs in a transaction that sets the caller's role and claims, the
//   legacy request.jwt.claim.* GUCs, storage.operation and storage.allow_delete_query;
// - an upload first tries the INSERT (or, with x-upsert, INSERT … ON CONFLICT DO
//   UPDATE) as the caller, so the storage.objects policies decide;
// - downloads and lists SELECT as the caller; deletes DELETE as the caller.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asAnon, asUser, createUser, rollback, type TestUser, type Tx } from '../harness/db.ts';

type Bucket = 'avatars' | 'verification-documents';

const MIME: Record<string, string> = { jpg: 'image/jpeg', png: 'image/png', pdf: 'application/pdf' };

/** Runs `fn` in a Storage API request of `user` (or of the anon key when null). */
function asStorage<T>(tx: Tx, user: TestUser | null, operation: string, fn: (q: Tx) => Promise<T>): Promise<T> {
  const run = async (q: Tx) => {
    const role = user ? 'authenticated' : 'anon';
    await q`
      select set_config('request.jwt.claim.role', ${role}, true),
             set_config('request.jwt.claim.sub', ${user?.id ?? ''}, true),
             set_config('request.headers', '{}', true),
             set_config('storage.operation', ${operation}, true),
             set_config('storage.allow_delete_query', 'true', true)`;
    try {
      return await fn(q);
    } finally {
      // The test's own transaction goes on: leave no Storage setting behind in it.
      await q`
        select set_config('request.jwt.claim.role', '', true), set_config('request.jwt.claim.sub', '', true),
               set_config('storage.operation', '', true), set_config('storage.allow_delete_query', '', true)`.catch(() => undefined);
    }
  };
  return user ? asUser(tx, user, run) : asAnon(tx, run);
}

function metadata(name: string) {
  const extension = name.split('.').pop() ?? '';
  return { mimetype: MIME[extension] ?? 'application/octet-stream', size: 1024, cacheControl: 'max-age=3600' };
}

/** Uploads as Storage does: the caller's INSERT (or upsert) must pass the policies. */
async function upload(tx: Tx, user: TestUser | null, bucket: Bucket, name: string, options: { upsert?: boolean } = {}) {
  return asStorage(tx, user, 'storage.object.upload', async (q) => {
    const owner = user?.id ?? null;
    const meta = JSON.stringify(metadata(name));
    const version = randomUUID();
    const rows = options.upsert
      ? await q`
          insert into storage.objects (bucket_id, name, owner, owner_id, metadata, version)
          values (${bucket}, ${name}, ${owner}, ${owner}, ${meta}::text::jsonb, ${version})
          on conflict (name, bucket_id) do update
          set metadata = excluded.metadata, version = excluded.version, owner = excluded.owner, owner_id = excluded.owner_id
          returning name`
      : await q`
          insert into storage.objects (bucket_id, name, owner, owner_id, metadata, version)
          values (${bucket}, ${name}, ${owner}, ${owner}, ${meta}::text::jsonb, ${version})
          returning name`;
    return rows.map((r) => r.name as string);
  });
}

/** What the caller sees when downloading or listing a bucket under a prefix. */
function list(tx: Tx, user: TestUser | null, bucket: Bucket, prefix = ''): Promise<string[]> {
  return asStorage(tx, user, 'storage.object.list', async (q) => {
    const rows = await q`
      select name from storage.objects
      where bucket_id = ${bucket} and name like ${prefix + '%'}
      order by name`;
    return rows.map((r) => r.name as string);
  });
}

function download(tx: Tx, user: TestUser | null, bucket: Bucket, name: string): Promise<string[]> {
  return asStorage(tx, user, 'storage.object.get_authenticated', async (q) => {
    const rows = await q`select name from storage.objects where bucket_id = ${bucket} and name = ${name}`;
    return rows.map((r) => r.name as string);
  });
}

function remove(tx: Tx, user: TestUser | null, bucket: Bucket, names: string[]): Promise<string[]> {
  return asStorage(tx, user, 'storage.object.delete_many', async (q) => {
    const rows = await q`
      delete from storage.objects where bucket_id = ${bucket} and name = any(${names}::text[]) returning name`;
    return rows.map((r) => r.name as string);
  });
}

async function suspend(tx: Tx, user: TestUser): Promise<void> {
  const admin = await createUser(tx, { roles: ['admin'] });
  await asUser(tx, admin, (q) => q`select public.suspend_user(${user.id}, 'Storage test')`);
}

async function objectNames(tx: Tx, bucket: Bucket, owner: TestUser): Promise<string[]> {
  const rows = await tx`select name from storage.objects where bucket_id = ${bucket} and name like ${owner.id + '/%'} order by name`;
  return rows.map((r) => r.name as string);
}

// "new row violates row-level security policy" (or its USING variant for upserts).
const RLS_VIOLATION = { code: '42501', message: expect.stringContaining('row-level security') };

describe('avatars', () => {
  it('a user uploads an avatar into their own folder and sees it', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const name = `${ama.id}/face.jpg`;
      expect(await upload(tx, ama, 'avatars', name)).toEqual([name]);
      expect(await download(tx, ama, 'avatars', name)).toEqual([name]);
      const [row] = await tx`select owner::text, owner_id from storage.objects where bucket_id = 'avatars' and name = ${name}`;
      expect(row).toEqual({ owner: ama.id, owner_id: ama.id });
    });
  });

  it("a user cannot upload into another user's avatar folder", async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const kofi = await createUser(tx);
      await expect(upload(tx, kofi, 'avatars', `${ama.id}/face.jpg`)).rejects.toMatchObject(RLS_VIOLATION);
      expect(await objectNames(tx, 'avatars', ama)).toEqual([]);
    });
  });

  it.each([
    ['at the bucket root', (_id: string) => 'face.jpg'],
    ['in a folder named like their id but longer', (id: string) => `${id}x/face.jpg`],
    ['in a nested folder that only contains their id', (id: string) => `other/${id}/face.jpg`],
  ])('a user cannot upload an avatar %s', async (_case, nameFor) => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await expect(upload(tx, ama, 'avatars', nameFor(ama.id))).rejects.toMatchObject(RLS_VIOLATION);
    });
  });

  it('a user replaces their own avatar (upload with x-upsert)', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const name = `${ama.id}/face.jpg`;
      await upload(tx, ama, 'avatars', name);
      const [before] = await tx`select version from storage.objects where bucket_id = 'avatars' and name = ${name}`;
      expect(await upload(tx, ama, 'avatars', name, { upsert: true })).toEqual([name]);
      const [after] = await tx`select version from storage.objects where bucket_id = 'avatars' and name = ${name}`;
      expect(after?.version).not.toBe(before?.version);
    });
  });

  it("a user cannot overwrite another user's avatar, even with x-upsert", async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const kofi = await createUser(tx);
      const name = `${ama.id}/face.jpg`;
      await upload(tx, ama, 'avatars', name);
      await expect(upload(tx, kofi, 'avatars', name, { upsert: true })).rejects.toMatchObject(RLS_VIOLATION);
      const changed = await asStorage(tx, kofi, 'storage.object.upload_update', (q) =>
        q`update storage.objects set metadata = '{}' where bucket_id = 'avatars' and name = ${name} returning name`);
      expect(changed).toEqual([]);
    });
  });

  it("a signed-in stranger cannot list another user's avatars through the API", async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const kofi = await createUser(tx);
      await upload(tx, ama, 'avatars', `${ama.id}/face.jpg`);
      expect(await list(tx, kofi, 'avatars', `${ama.id}/`)).toEqual([]);
    });
  });

  it('a user deletes their own avatar the way Storage does; a stranger deletes nothing', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const kofi = await createUser(tx);
      const name = `${ama.id}/face.jpg`;
      await upload(tx, ama, 'avatars', name);
      expect(await remove(tx, kofi, 'avatars', [name])).toEqual([]);
      expect(await remove(tx, ama, 'avatars', [name])).toEqual([name]);
      expect(await objectNames(tx, 'avatars', ama)).toEqual([]);
    });
  });

  it('refuses a direct DELETE that does not come through the Storage API, even from the owner', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const name = `${ama.id}/face.jpg`;
      await upload(tx, ama, 'avatars', name);
      await expect(asUser(tx, ama, (q) => q`delete from storage.objects where bucket_id = 'avatars' and name = ${name}`)).rejects.toMatchObject({
        code: '42501',
        message: expect.stringContaining('Use the Storage API'),
      });
      expect(await objectNames(tx, 'avatars', ama)).toEqual([name]);
    });
  });
});

describe('verification documents', () => {
  it('a user uploads and reads their own verification document', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const name = `${ama.id}/national-id.pdf`;
      expect(await upload(tx, ama, 'verification-documents', name)).toEqual([name]);
      expect(await download(tx, ama, 'verification-documents', name)).toEqual([name]);
    });
  });

  it("a stranger can neither read nor list another user's verification documents", async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const kofi = await createUser(tx);
      const name = `${ama.id}/national-id.pdf`;
      await upload(tx, ama, 'verification-documents', name);
      expect(await download(tx, kofi, 'verification-documents', name)).toEqual([]);
      expect(await list(tx, kofi, 'verification-documents')).toEqual([]);
    });
  });

  it("an admin reads every user's verification documents", async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const admin = await createUser(tx, { roles: ['admin'] });
      const name = `${ama.id}/national-id.pdf`;
      await upload(tx, ama, 'verification-documents', name);
      expect(await download(tx, admin, 'verification-documents', name)).toEqual([name]);
      expect(await list(tx, admin, 'verification-documents', `${ama.id}/`)).toEqual([name]);
    });
  });

  it("an admin cannot upload into or delete from another user's folder", async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const admin = await createUser(tx, { roles: ['admin'] });
      const name = `${ama.id}/national-id.pdf`;
      await upload(tx, ama, 'verification-documents', name);
      await expect(upload(tx, admin, 'verification-documents', `${ama.id}/forged.pdf`)).rejects.toMatchObject(RLS_VIOLATION);
      expect(await remove(tx, admin, 'verification-documents', [name])).toEqual([]);
    });
  });

  it('a user cannot rewrite a verification document once uploaded', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const name = `${ama.id}/national-id.pdf`;
      await upload(tx, ama, 'verification-documents', name);
      await expect(upload(tx, ama, 'verification-documents', name, { upsert: true })).rejects.toMatchObject(RLS_VIOLATION);
      const changed = await asStorage(tx, ama, 'storage.object.upload_update', (q) =>
        q`update storage.objects set metadata = '{}' where bucket_id = 'verification-documents' and name = ${name} returning name`);
      expect(changed).toEqual([]);
    });
  });
});

describe('suspended users', () => {
  it.each<Bucket>(['avatars', 'verification-documents'])('cannot upload into %s', async (bucket) => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await suspend(tx, ama);
      await expect(upload(tx, ama, bucket, `${ama.id}/file.png`)).rejects.toMatchObject(RLS_VIOLATION);
      expect(await objectNames(tx, bucket, ama)).toEqual([]);
    });
  });

  it('cannot replace or delete what they uploaded before, but can still read it', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const name = `${ama.id}/face.jpg`;
      await upload(tx, ama, 'avatars', name);
      await suspend(tx, ama);
      await expect(upload(tx, ama, 'avatars', name, { upsert: true })).rejects.toMatchObject(RLS_VIOLATION);
      expect(await remove(tx, ama, 'avatars', [name])).toEqual([]);
      expect(await download(tx, ama, 'avatars', name)).toEqual([name]);
    });
  });
});

describe('anonymous clients', () => {
  it.each<Bucket>(['avatars', 'verification-documents'])('cannot list %s', async (bucket) => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await upload(tx, ama, bucket, `${ama.id}/file.png`);
      expect(await list(tx, null, bucket)).toEqual([]);
      expect(await list(tx, null, bucket, `${ama.id}/`)).toEqual([]);
    });
  });

  it.each<Bucket>(['avatars', 'verification-documents'])('cannot upload into %s', async (bucket) => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await expect(upload(tx, null, bucket, `${ama.id}/file.png`)).rejects.toMatchObject(RLS_VIOLATION);
    });
  });

  it('cannot delete anything', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const name = `${ama.id}/face.jpg`;
      await upload(tx, ama, 'avatars', name);
      expect(await remove(tx, null, 'avatars', [name])).toEqual([]);
      expect(await objectNames(tx, 'avatars', ama)).toEqual([name]);
    });
  });
});
