// Attachments: the private chat-attachments bucket, driven the way the Storage API
// drives Postgres (as the user, so the storage.objects policies decide), and messages
// that carry an uploaded file.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asUser, createUser, rollback } from '../harness/db.ts';
import { createAdmin, uploadObject } from '../harness/services.ts';
import { asStorage, conversation, history, send, uploadAttachment, visibleAttachments } from '../harness/chat.ts';

describe('the chat-attachments bucket', () => {
  it('is private, limited to images and PDFs of at most 10 MiB', async () => {
    const [bucket] = await rollback((tx) => tx`
      select public, file_size_limit::integer as limit, allowed_mime_types from storage.buckets where id = 'chat-attachments'`);
    expect(bucket).toEqual({
      public: false,
      limit: 10 * 1024 * 1024,
      allowed_mime_types: ['image/jpeg', 'image/png', 'image/webp', 'application/pdf'],
    });
  });

  it("both participants read the thread's attachments once sent; an upload not yet sent is its uploader's alone", async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const name = await uploadAttachment(tx, customer, thread.id);
      expect(await visibleAttachments(tx, customer, `${thread.id}/`)).toEqual([name]);
      expect(await visibleAttachments(tx, provider, `${thread.id}/`)).toEqual([]);
      await send(tx, customer, thread.id, null, { attachmentPath: name });
      expect(await visibleAttachments(tx, customer, `${thread.id}/`)).toEqual([name]);
      expect(await visibleAttachments(tx, provider, `${thread.id}/`)).toEqual([name]);
    });
  });

  it("deleting a message takes its file from the other side at once (the sender keeps their own upload)", async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const name = await uploadAttachment(tx, customer, thread.id);
      const message = await send(tx, customer, thread.id, null, { attachmentPath: name });
      await asUser(tx, customer, (q) => q`select public.delete_message(${message.id.toString()}::bigint)`);
      expect(await visibleAttachments(tx, provider, `${thread.id}/`)).toEqual([]);
      expect(await visibleAttachments(tx, provider, name)).toEqual([]);
      expect(await visibleAttachments(tx, customer, `${thread.id}/`)).toEqual([name]);
    });
  });

  it('admins read the file of a reported message, and no other', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const admin = await createAdmin(tx);
      const reported = await uploadAttachment(tx, provider, thread.id);
      const other = await uploadAttachment(tx, provider, thread.id);
      const message = await send(tx, provider, thread.id, null, { attachmentPath: reported });
      await send(tx, provider, thread.id, null, { attachmentPath: other });
      expect(await visibleAttachments(tx, admin, `${thread.id}/`)).toEqual([]);
      await asUser(tx, customer, (q) => q`select public.report_message(${message.id.toString()}::bigint, 'harassment', 'Offensive picture')`);
      expect(await visibleAttachments(tx, admin, `${thread.id}/`)).toEqual([reported]);
      // Still after the admin deletes the message: the report keeps the evidence.
      await asUser(tx, admin, (q) => q`select public.delete_message(${message.id.toString()}::bigint)`);
      expect(await visibleAttachments(tx, admin, `${thread.id}/`)).toEqual([reported]);
      expect(await visibleAttachments(tx, customer, `${thread.id}/`)).toEqual([other]);
    });
  });

  it('a stranger, an admin and anon see none of them', async () => {
    await rollback(async (tx) => {
      const { customer, thread } = await conversation(tx);
      const mallory = await createUser(tx);
      const admin = await createAdmin(tx);
      const name = await uploadAttachment(tx, customer, thread.id);
      expect(await visibleAttachments(tx, mallory, `${thread.id}/`)).toEqual([]);
      expect(await visibleAttachments(tx, admin, `${thread.id}/`)).toEqual([]);
      expect(await visibleAttachments(tx, null, `${thread.id}/`)).toEqual([]);
      expect(await visibleAttachments(tx, mallory, name)).toEqual([]);
    });
  });

  it("a stranger cannot upload into a thread's folder", async () => {
    await rollback(async (tx) => {
      const { thread } = await conversation(tx);
      const mallory = await createUser(tx);
      await expect(uploadAttachment(tx, mallory, thread.id)).rejects.toMatchObject({ code: '42501' });
    });
  });

  it.each([
    ['outside any thread folder', () => `notes/${randomUUID()}.jpg`],
    ['into a thread that does not exist', () => `${randomUUID()}/${randomUUID()}.jpg`],
    ['with a name that is not a uuid', (thread: string) => `${thread}/holiday photo.jpg`],
    ['in a nested folder', (thread: string) => `${thread}/x/${randomUUID()}.jpg`],
  ])('a participant cannot upload %s', async (_, name) => {
    await rollback(async (tx) => {
      const { customer, thread } = await conversation(tx);
      await expect(uploadAttachment(tx, customer, thread.id, 'jpg', name(thread.id))).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('nobody uploads into a blocked thread; a suspended participant uploads nothing', async () => {
    await rollback(async (tx) => {
      const a = await conversation(tx);
      await asUser(tx, a.provider, (q) => q`select public.set_thread_blocked(${a.thread.id}, true)`);
      await expect(uploadAttachment(tx, a.customer, a.thread.id)).rejects.toMatchObject({ code: '42501' });
      const b = await conversation(tx);
      await tx`update public.accounts set status = 'suspended', status_reason = 'test' where id = ${b.customer.id}`;
      await expect(uploadAttachment(tx, b.customer, b.thread.id)).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('the uploader may delete their attachment; the other participant may not', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const name = await uploadAttachment(tx, customer, thread.id);
      const remove = (user: typeof customer) =>
        asStorage(tx, user, 'storage.object.delete', (q) => q`
          delete from storage.objects where bucket_id = 'chat-attachments' and name = ${name} returning name`);
      expect(await remove(provider)).toEqual([]);
      expect(await remove(customer)).toEqual([{ name }]);
    });
  });

  it('the buckets the identity migration guards keep their rules', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const mallory = await createUser(tx);
      const admin = await createAdmin(tx);
      const document = await uploadObject(tx, ama, 'verification-documents', 'id.pdf');
      const read = (user: typeof ama | null) =>
        asStorage(tx, user, 'storage.object.get_authenticated', async (q) =>
          (await q`select name from storage.objects where bucket_id = 'verification-documents' and name = ${document}`).map((r) => r.name));
      expect(await read(ama)).toEqual([document]);
      expect(await read(admin)).toEqual([document]);
      expect(await read(mallory)).toEqual([]);
      await expect(
        asStorage(tx, mallory, 'storage.object.upload', (q) => q`
          insert into storage.objects (bucket_id, name, owner, owner_id, metadata)
          values ('avatars', ${`${ama.id}/a.png`}, ${mallory.id}, ${mallory.id}, '{}')`),
      ).rejects.toMatchObject({ code: '42501' });
    });
  });
});

describe('messages with attachments', () => {
  it('an image message records the file as Storage described it', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const path = await uploadAttachment(tx, customer, thread.id, 'jpg');
      const message = await send(tx, customer, thread.id, 'The leak, under the sink', { attachmentPath: path, attachmentName: 'sink.jpg' });
      expect(message).toMatchObject({
        kind: 'image',
        body: 'The leak, under the sink',
        attachment_path: path,
        attachment_name: 'sink.jpg',
        attachment_mime: 'image/jpeg',
      });
      const [seen] = await history(tx, provider, thread.id);
      expect(seen?.attachment_path).toBe(path);
    });
  });

  it('a PDF without text is a file message', async () => {
    await rollback(async (tx) => {
      const { customer, thread } = await conversation(tx);
      const path = await uploadAttachment(tx, customer, thread.id, 'pdf');
      const message = await send(tx, customer, thread.id, null, { attachmentPath: path });
      expect(message).toMatchObject({ kind: 'file', body: null, attachment_mime: 'application/pdf' });
    });
  });

  it('refuses an attachment that was never uploaded, lies in another thread, or was uploaded by someone else', async () => {
    await rollback(async (tx) => {
      const a = await conversation(tx);
      const b = await conversation(tx);
      const theirs = await uploadAttachment(tx, a.provider, a.thread.id);
      const elsewhere = await uploadAttachment(tx, b.customer, b.thread.id);
      for (const path of [`${a.thread.id}/${randomUUID()}.jpg`, elsewhere, theirs]) {
        await expect(send(tx, a.customer, a.thread.id, null, { attachmentPath: path })).rejects.toMatchObject({
          code: '22023',
          hint: 'chat_attachment_invalid',
        });
      }
    });
  });

  it('deleting the message wipes the attachment reference too', async () => {
    await rollback(async (tx) => {
      const { customer, thread } = await conversation(tx);
      const path = await uploadAttachment(tx, customer, thread.id);
      const message = await send(tx, customer, thread.id, null, { attachmentPath: path });
      const [deleted] = await asUser(tx, customer, (q) => q`select * from public.delete_message(${message.id.toString()}::bigint)`);
      expect(deleted).toMatchObject({ body: null, attachment_path: null, attachment_name: null });
    });
  });
});
