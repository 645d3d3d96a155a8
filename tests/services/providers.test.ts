import { describe, expect, it } from 'vitest';
import { asAnon, asUser, createUser, rollback } from '../harness/db.ts';
import { createAdmin, createCustomer, createProvider, uploadObject } from '../harness/services.ts';

describe('provider profiles', () => {
  it('a provider saves a business profile; anyone sees it, with the badge and rating', async () => {
    await rollback(async (tx) => {
      const kwame = await createUser(tx, { roles: ['provider'], metadata: { market: 'gh' } });
      const [saved] = await asUser(tx, kwame, (q) => q`
        select * from public.save_provider_profile(
          business_name => 'Boateng Plumbing', time_zone => 'Africa/Accra', lat => 5.556, lng => -0.197,
          service_radius_m => 15000, bio => '{"en": "Leaks fixed fast"}', skills => ${['plumbing', 'drains']},
          certifications => ${['CTVET Level 2']}, years_experience => 9)`);
      expect(saved).toMatchObject({ id: kwame.id, market_code: 'gh', verified: false, verification_status: 'unverified', rating_count: 0 });
      const [seen] = await asAnon(tx, (q) => q`select business_name, skills, verified, rating_average from public.providers where id = ${kwame.id}`);
      expect(seen).toEqual({ business_name: 'Boateng Plumbing', skills: ['plumbing', 'drains'], verified: false, rating_average: null });
      // Saving again updates in place.
      await asUser(tx, kwame, (q) => q`
        select public.save_provider_profile('Boateng & Sons', 'Africa/Accra', 5.6, -0.2, years_experience => 10)`);
      const [after] = await tx`select business_name, years_experience from public.providers where id = ${kwame.id}`;
      expect(after).toEqual({ business_name: 'Boateng & Sons', years_experience: 10 });
    });
  });

  it('keeps the base location private to the provider and admins', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx, { lat: 5.6, lng: -0.2 });
      const yaw = await createProvider(tx);
      const ama = await createCustomer(tx);
      const admin = await createAdmin(tx);
      const where = (q: typeof tx) => q`select lat, lng from public.provider_locations where provider_id = ${kwame.id}`;
      expect(await asUser(tx, kwame, where)).toEqual([{ lat: 5.6, lng: -0.2 }]);
      expect(await asUser(tx, admin, where)).toHaveLength(1);
      expect(await asUser(tx, yaw, where)).toEqual([]);
      expect(await asUser(tx, ama, where)).toEqual([]);
      await expect(asAnon(tx, where)).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('only users with the provider role (by token and table) can have a profile', async () => {
    await rollback(async (tx) => {
      const ama = await createCustomer(tx);
      const call = (q: typeof tx) => q`select public.save_provider_profile('Ama Cleaning', 'Africa/Accra', 5.6, -0.2)`;
      await expect(asUser(tx, ama, call)).rejects.toMatchObject({ code: '42501', hint: 'provider_role_required' });
      const forged = { ...ama.claims, user_roles: ['customer', 'provider'] };
      await expect(asUser(tx, forged, call)).rejects.toMatchObject({ hint: 'provider_role_required' });
      await expect(asAnon(tx, call)).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('a provider in a market without services cannot open shop', async () => {
    await rollback(async (tx) => {
      const karim = await createUser(tx, { roles: ['provider'], phone: '201000009999', metadata: { market: 'eg' } });
      await expect(
        asUser(tx, karim, (q) => q`select public.save_provider_profile('Karim', 'Africa/Cairo', 30, 31)`),
      ).rejects.toMatchObject({ code: 'PT409', hint: 'services_not_available' });
    });
  });

  it.each([
    ['an unknown time zone', "'Mars/Olympus'", '5.6', '-0.2', { code: '22023', hint: 'invalid_input' }],
    ['a latitude off the earth', "'Africa/Accra'", '95', '-0.2', { code: '22023', hint: 'invalid_location' }],
    ['no location', "'Africa/Accra'", 'null', 'null', { code: '22023', hint: 'invalid_location' }],
  ])('refuses a profile with %s', async (_, zone, lat, lng, error) => {
    await rollback(async (tx) => {
      const kwame = await createUser(tx, { roles: ['provider'] });
      await expect(
        asUser(tx, kwame, (q) => q.unsafe(`select public.save_provider_profile('Kwame', ${zone}, ${lat}, ${lng})`)),
      ).rejects.toMatchObject(error);
      expect(await tx`select id from public.providers where id = ${kwame.id}`).toEqual([]);
    });
  });

  it('refuses a blank business name with a named constraint', async () => {
    await rollback(async (tx) => {
      const kwame = await createUser(tx, { roles: ['provider'] });
      await expect(
        asUser(tx, kwame, (q) => q`select public.save_provider_profile('   ', 'Africa/Accra', 5.6, -0.2)`),
      ).rejects.toMatchObject({ code: '23514', constraint_name: 'provider_business_name_length' });
    });
  });

  it.each([
    ['verification_status', "'verified'"],
    ['rating_count', '100'],
    ['business_name', "'x'"],
  ])('a provider cannot write providers.%s directly', async (column, value) => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx, { verified: false });
      await expect(
        asUser(tx, kwame, (q) => q.unsafe(`update public.providers set ${column} = ${value} where id = $1`, [kwame.id])),
      ).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('a suspended provider cannot change their profile', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx);
      const admin = await createAdmin(tx);
      await asUser(tx, admin, (q) => q`select public.suspend_user(${kwame.id}, 'Complaints')`);
      await expect(
        asUser(tx, kwame, (q) => q`select public.save_provider_profile('K', 'Africa/Accra', 5.6, -0.2)`),
      ).rejects.toMatchObject({ code: 'PT403', hint: 'account_suspended' });
    });
  });
});

describe('verification', () => {
  it('provider uploads documents and submits; an admin approves; the badge shows', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx, { verified: false });
      const admin = await createAdmin(tx);
      const id = await uploadObject(tx, kwame, 'verification-documents', 'ghana-card.pdf');
      const licence = await uploadObject(tx, kwame, 'verification-documents', 'licence.pdf');
      const [request] = await asUser(tx, kwame, (q) => q`select * from public.submit_verification(${[id, licence]}, 'Card and licence')`);
      expect(request).toMatchObject({ provider_id: kwame.id, status: 'pending', document_paths: [id, licence] });
      const [pending] = await asAnon(tx, (q) => q`select verification_status, verified from public.providers where id = ${kwame.id}`);
      expect(pending).toEqual({ verification_status: 'pending', verified: false });

      const queue = await asUser(tx, admin, (q) => q`select id from public.provider_verifications where status = 'pending' and provider_id = ${kwame.id}`);
      expect(queue).toEqual([{ id: request!.id }]);
      const [approved] = await asUser(tx, admin, (q) => q`select * from public.approve_verification(${request!.id}, 'Documents checked')`);
      expect(approved).toMatchObject({ status: 'approved', decided_by: admin.id });
      const [badge] = await asAnon(tx, (q) => q`select verified, verified_at is not null as dated from public.providers where id = ${kwame.id}`);
      expect(badge).toEqual({ verified: true, dated: true });
      await expect(asUser(tx, admin, (q) => q`select public.approve_verification(${request!.id}, 'Documents checked')`)).rejects.toMatchObject({
        code: 'PT409',
        hint: 'verification_not_pending',
      });
    });
  });

  it('an admin rejects with a reason the provider can read; no reason, no rejection', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx, { verified: false });
      const admin = await createAdmin(tx);
      const doc = await uploadObject(tx, kwame, 'verification-documents', 'blurry.jpg');
      const [request] = await asUser(tx, kwame, (q) => q`select * from public.submit_verification(${[doc]})`);
      await expect(asUser(tx, admin, (q) => q`select public.reject_verification(${request!.id}, '  ')`)).rejects.toMatchObject({
        code: '22023',
        hint: 'reason_required',
      });
      await asUser(tx, admin, (q) => q`select public.reject_verification(${request!.id}, 'The photo is unreadable')`);
      const [own] = await asUser(tx, kwame, (q) => q`select status, decision_reason from public.provider_verifications where id = ${request!.id}`);
      expect(own).toEqual({ status: 'rejected', decision_reason: 'The photo is unreadable' });
      const [profile] = await tx`select verification_status from public.providers where id = ${kwame.id}`;
      expect(profile?.verification_status).toBe('rejected');
      // After a rejection the provider may try again.
      await asUser(tx, kwame, (q) => q`select public.submit_verification(${[doc]})`);
    });
  });

  it.each([
    ['no documents', (_own: string, _other: string) => [] as string[], 'documents_required'],
    ['a document not uploaded', (own: string) => [`${own}/missing.pdf`], 'document_not_found'],
    ['someone else’s document', (_own: string, other: string) => [other], 'document_not_found'],
  ])('refuses a submission with %s', async (_, paths, hint) => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx, { verified: false });
      const yaw = await createProvider(tx, { verified: false });
      const theirs = await uploadObject(tx, yaw, 'verification-documents', 'id.pdf');
      await expect(
        asUser(tx, kwame, (q) => q`select public.submit_verification(${paths(kwame.id, theirs)})`),
      ).rejects.toMatchObject({ code: '22023', hint });
      expect(await tx`select id from public.provider_verifications where provider_id = ${kwame.id}`).toEqual([]);
    });
  });

  it('allows one pending request at a time', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx, { verified: false });
      const doc = await uploadObject(tx, kwame, 'verification-documents', 'id.pdf');
      await asUser(tx, kwame, (q) => q`select public.submit_verification(${[doc]})`);
      await expect(asUser(tx, kwame, (q) => q`select public.submit_verification(${[doc]})`)).rejects.toMatchObject({
        code: 'PT409',
        hint: 'verification_pending',
      });
    });
  });

  it('only admins decide; strangers never see a provider’s requests or documents', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx, { verified: false });
      const yaw = await createProvider(tx);
      const ama = await createCustomer(tx);
      const doc = await uploadObject(tx, kwame, 'verification-documents', 'id.pdf');
      const [request] = await asUser(tx, kwame, (q) => q`select * from public.submit_verification(${[doc]})`);
      for (const user of [kwame, yaw, ama]) {
        await expect(asUser(tx, user, (q) => q`select public.approve_verification(${request!.id}, 'Documents checked')`)).rejects.toMatchObject({
          code: '42501',
          hint: 'forbidden',
        });
      }
      for (const user of [yaw, ama]) {
        expect(await asUser(tx, user, (q) => q`select id from public.provider_verifications where provider_id = ${kwame.id}`)).toEqual([]);
        expect(await asUser(tx, user, (q) => q`select name from storage.objects where name = ${doc}`)).toEqual([]);
      }
      await expect(asAnon(tx, (q) => q`select id from public.provider_verifications`)).rejects.toMatchObject({ code: '42501' });
      await expect(asAnon(tx, (q) => q`select public.approve_verification(${request!.id}, 'Documents checked')`)).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('an admin revokes a badge with a reason kept in the history', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx);
      const admin = await createAdmin(tx);
      await expect(asUser(tx, admin, (q) => q`select public.revoke_verification(${kwame.id}, '')`)).rejects.toMatchObject({
        hint: 'reason_required',
      });
      const [after] = await asUser(tx, admin, (q) => q`select * from public.revoke_verification(${kwame.id}, 'Licence expired')`);
      expect(after).toMatchObject({ verified: false, verification_status: 'unverified' });
      const history = await asUser(tx, kwame, (q) => q`select status, decision_reason from public.provider_verifications where provider_id = ${kwame.id}`);
      expect(history).toEqual([{ status: 'revoked', decision_reason: 'Licence expired' }]);
    });
  });
});

describe('availability', () => {
  it('weekly hours are public; a provider writes only their own', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx, { hours: [{ weekday: 1, start: '08:00', end: '17:00' }] });
      const yaw = await createProvider(tx, { hours: [] });
      const rows = await asAnon(tx, (q) => q`select weekday, start_time, end_time from public.availability_rules where provider_id = ${kwame.id}`);
      expect(rows).toEqual([{ weekday: 1, start_time: '08:00:00', end_time: '17:00:00' }]);
      expect(await asUser(tx, yaw, (q) => q`update public.availability_rules set end_time = '09:00' where provider_id = ${kwame.id} returning id`)).toEqual([]);
      expect(await asUser(tx, yaw, (q) => q`delete from public.availability_rules where provider_id = ${kwame.id} returning id`)).toEqual([]);
      await expect(
        asUser(tx, yaw, (q) => q`insert into public.availability_rules (provider_id, weekday, start_time, end_time) values (${kwame.id}, 2, '08:00', '09:00')`),
      ).rejects.toMatchObject({ code: '42501' });
      expect(await asUser(tx, kwame, (q) => q`update public.availability_rules set end_time = '18:00' where provider_id = ${kwame.id} returning id`)).toHaveLength(1);
    });
  });

  it.each([
    ['ends before it starts', "1, '17:00', '08:00'", 'availability_rule_ends_after_start'],
    ['a weekday 8', "8, '08:00', '17:00'", 'availability_rule_weekday_is_iso'],
  ])('refuses a weekly rule that %s', async (_, values, constraint) => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx, { hours: [] });
      await expect(
        asUser(tx, kwame, (q) => q.unsafe(`insert into public.availability_rules (weekday, start_time, end_time) values (${values})`)),
      ).rejects.toMatchObject({ code: '23514', constraint_name: constraint });
    });
  });

  it('dated exceptions are private to the provider and admins', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx);
      const ama = await createCustomer(tx);
      const admin = await createAdmin(tx);
      await asUser(tx, kwame, (q) => q`
        insert into public.availability_exceptions (kind, on_date, note) values ('time_off', current_date + 3, 'Hospital visit')`);
      const query = (q: typeof tx) => q`select note from public.availability_exceptions where provider_id = ${kwame.id}`;
      expect(await asUser(tx, kwame, query)).toEqual([{ note: 'Hospital visit' }]);
      expect(await asUser(tx, admin, query)).toHaveLength(1);
      expect(await asUser(tx, ama, query)).toEqual([]);
      await expect(asAnon(tx, query)).rejects.toMatchObject({ code: '42501' });
    });
  });
});
