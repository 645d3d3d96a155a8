// Fixtures for notification tests: notify as a domain context would (as the database
// owner's code, here the test superuser), register devices as the app would.
import { randomBytes } from 'node:crypto';
import { asUser, type Queryable, type TestUser } from '../harness/db.ts';

export interface NotifyOptions {
  params?: Record<string, unknown>;
  collapseKey?: string | null;
  critical?: boolean;
}

/** private.notify, called the way another context's security-definer code calls it. */
export async function notify(q: Queryable, user: TestUser | string, templateKey: string, options: NotifyOptions = {}): Promise<string | null> {
  const id = typeof user === 'string' ? user : user.id;
  const [row] = await q<{ id: string | null }[]>`
    select private.notify(${id}, ${templateKey}, ${JSON.stringify(options.params ?? {})}::text::jsonb,
                          ${options.collapseKey ?? null}, ${options.critical ?? false}) as id`;
  return row!.id;
}

/** An FCM-like registration token no other test uses. */
export function fcmToken(): string {
  return `${randomBytes(11).toString('base64url')}:APA91b${randomBytes(90).toString('base64url')}`;
}

/** The app registering its token, as the user. */
export async function registerDevice(q: Queryable, user: TestUser, token = fcmToken(), platform = 'android'): Promise<string> {
  await asUser(q, user, (tx) => tx`select public.register_device_token(${token}, ${platform}::public.device_platform)`);
  return token;
}

/** Broadcasts on the user's Realtime topic (one transaction shares one inserted_at: unordered). */
export async function userTopicMessages(q: Queryable, user: TestUser | string): Promise<{ event: string; payload: Record<string, unknown>; private: boolean; extension: string }[]> {
  const id = typeof user === 'string' ? user : user.id;
  return q`
    select event, payload, private, extension from realtime.messages
    where topic = ${`user:${id}`} order by inserted_at, id`;
}

/** The badge number, asked the way the app asks. */
export async function unreadCount(q: Queryable, user: TestUser): Promise<number> {
  const [row] = await asUser(q, user, (tx) => tx<{ n: number }[]>`select public.unread_notification_count() as n`);
  return row!.n;
}

/** The truth the counter must match. */
export async function countedUnread(q: Queryable, user: TestUser): Promise<number> {
  const [row] = await q<{ n: number }[]>`select count(*)::integer as n from public.notifications where user_id = ${user.id} and read_at is null`;
  return row!.n;
}

export interface Delivery {
  id: string;
  notification_id: string;
  channel: 'push' | 'sms';
  status: 'pending' | 'sent' | 'failed' | 'skipped';
  attempts: number;
  claim_id: string | null;
  last_error: string | null;
}

/** The push/SMS queue rows of a user's notifications. */
export async function deliveries(q: Queryable, user: TestUser): Promise<Delivery[]> {
  return q<Delivery[]>`
    select d.id::text, d.notification_id, d.channel::text, d.status::text, d.attempts, d.claim_id, d.last_error
    from private.notification_deliveries as d
    join public.notifications as n on n.id = d.notification_id
    where n.user_id = ${user.id}
    order by d.id`;
}
