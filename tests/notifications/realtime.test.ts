// Realtime authorization for private channels, checked the way Realtime checks it
// (supabase/realtime lib/realtime/tenants/authorization.ex): for reading, it inserts a
// probe row per extension with its own role, then as the subscriber (role, realtime.topic,
// request.jwt.claims set locally) selects them back; for writing, it inserts probes as the
// subscriber. Everything is rolled back.
import { describe, expect, it } from 'vitest';
import { asAnon, asUser, createUser, rollback, type TestUser, type Tx } from '../harness/db.ts';

type Extension = 'broadcast' | 'presence';

/** Which extensions the subscriber may read on the topic. */
async function canRead(tx: Tx, user: TestUser | null, topic: string): Promise<Record<Extension, boolean>> {
  const probes = await tx<{ id: string; extension: Extension }[]>`
    insert into realtime.messages (topic, extension)
    values (${topic}, 'broadcast'), (${topic}, 'presence')
    returning id, extension`;
  const read = async (q: Tx) => {
    await q`select set_config('realtime.topic', ${topic}, true)`;
    return q<{ id: string }[]>`
      select id from realtime.messages
      where topic = ${topic} and ((extension = 'broadcast' and id = ${probes[0]!.id}) or (extension = 'presence' and id = ${probes[1]!.id}))`;
  };
  const seen = new Set((user ? await asUser(tx, user, read) : await asAnon(tx, read)).map((r) => r.id));
  return { broadcast: seen.has(probes.find((p) => p.extension === 'broadcast')!.id), presence: seen.has(probes.find((p) => p.extension === 'presence')!.id) };
}

/** Whether the subscriber may send (broadcast / track presence) on the topic. */
async function canWrite(tx: Tx, user: TestUser, topic: string, extension: Extension): Promise<boolean> {
  try {
    await asUser(tx, user, async (q) => {
      await q`select set_config('realtime.topic', ${topic}, true)`;
      await q`insert into realtime.messages (topic, extension) values (${topic}, ${extension})`;
    });
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '42501') return false;
    throw error;
  }
}

describe('Realtime: the private user topic', () => {
  it('its owner may receive broadcasts and presence on user:<their id>', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      expect(await canRead(tx, ama, `user:${ama.id}`)).toEqual({ broadcast: true, presence: true });
    });
  });

  it("a stranger may not receive on someone else's user topic", async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const mallory = await createUser(tx);
      expect(await canRead(tx, mallory, `user:${ama.id}`)).toEqual({ broadcast: false, presence: false });
    });
  });

  it('anon may not receive on any user topic', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      expect(await canRead(tx, null, `user:${ama.id}`)).toEqual({ broadcast: false, presence: false });
    });
  });

  it.each<Extension>(['broadcast', 'presence'])('no client may send %s on a user topic, not even its owner', async (extension) => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const mallory = await createUser(tx);
      expect(await canWrite(tx, ama, `user:${ama.id}`, extension)).toBe(false);
      expect(await canWrite(tx, mallory, `user:${ama.id}`, extension)).toBe(false);
    });
  });

  it('realtime.send from a client cannot fake a notification on a user topic', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const mallory = await createUser(tx);
      await asUser(tx, mallory, (q) => q`select realtime.send('{"fake": true}'::jsonb, 'notification', ${`user:${ama.id}`}, true)`);
      const [row] = await tx`select count(*)::integer as n from realtime.messages where topic = ${`user:${ama.id}`}`;
      expect(row?.n).toBe(0);
    });
  });

  it.each([
    ['a topic without a kind', 'lobby'],
    ['an unknown kind', 'market:gh'],
    ['a user topic with a different id', 'user:not-a-uuid'],
  ])('refuses %s', async (_, topic) => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      expect(await canRead(tx, ama, topic)).toEqual({ broadcast: false, presence: false });
    });
  });

  it('a row on another topic is never visible through an authorized one', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const kwame = await createUser(tx);
      await tx`insert into realtime.messages (topic, extension, payload) values (${`user:${kwame.id}`}, 'broadcast', '{}')`;
      const rows = await asUser(tx, ama, async (q) => {
        await q`select set_config('realtime.topic', ${`user:${ama.id}`}, true)`;
        return q`select id from realtime.messages where topic = ${`user:${kwame.id}`}`;
      });
      expect(rows).toEqual([]);
    });
  });
});

describe('Realtime: topic kinds other contexts register', () => {
  it.each([
    ['a function that does not exist', 'private.no_such_check'],
    ['a function that returns no boolean', 'private.release_device_token'],
  ])('refuses %s as a check', async (_, name) => {
    await rollback(async (tx) => {
      await expect(tx`insert into private.realtime_topic_kinds (prefix, can_receive) values ('test_kind', ${name})`).rejects.toMatchObject({
        code: '22023',
        hint: 'realtime_topic_check_invalid',
      });
    });
  });

  it('one policy per command dispatches every kind; a new kind needs only a registry row', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const kwame = await createUser(tx);
      // What a context does for its topics (chat does this for thread:<id>), reduced to
      // "members are in a list", under a prefix of its own.
      await tx`create table private.test_thread_members (thread text, user_id uuid)`;
      await tx`grant select on private.test_thread_members to authenticated`;
      await tx`insert into private.test_thread_members values ('t1', ${ama.id})`;
      await tx`
        create function private.test_is_thread_member(topic text) returns boolean stable security invoker set search_path = '' language sql
        as $$ select exists (select from private.test_thread_members m where 'test_thread:' || m.thread = topic and m.user_id = (select auth.uid())) $$`;
      await tx`grant execute on function private.test_is_thread_member(text) to authenticated`;
      await tx`
        insert into private.realtime_topic_kinds (prefix, can_receive, can_send)
        values ('test_thread', 'private.test_is_thread_member', 'private.test_is_thread_member')`;

      expect(await canRead(tx, ama, 'test_thread:t1')).toEqual({ broadcast: true, presence: true });
      expect(await canWrite(tx, ama, 'test_thread:t1', 'broadcast')).toBe(true);
      expect(await canRead(tx, kwame, 'test_thread:t1')).toEqual({ broadcast: false, presence: false });
      expect(await canWrite(tx, kwame, 'test_thread:t1', 'presence')).toBe(false);
      // User topics are unaffected.
      expect(await canWrite(tx, ama, `user:${ama.id}`, 'broadcast')).toBe(false);

      const policies = await tx<{ cmd: string; n: number }[]>`
        select cmd, count(*)::integer as n from pg_policies
        where schemaname = 'realtime' and tablename = 'messages' and 'authenticated' = any (roles) and permissive = 'PERMISSIVE'
        group by cmd order by cmd`;
      expect(policies).toEqual([
        { cmd: 'INSERT', n: 1 },
        { cmd: 'SELECT', n: 1 },
      ]);
    });
  });
});
