-- Storage: documents under review stay put.
--
-- The delete policy on storage.objects (first in the identity migration, extended by
-- chat) let a provider delete verification documents after submitting them. Documents
-- that a pending or approved verification refers to are the evidence admins decided
-- on: they can no longer be deleted by their owner.

-- Whether a verification-documents object is referred to by a pending or approved
-- verification request. Security definer: the policy asks about any request, not only
-- those the caller can see.
create function private.verification_document_in_use(name text)
returns boolean
stable
security definer
set search_path = ''
language sql
as $$
  select exists (
    select from public.provider_verifications as v
    where v.status in ('pending', 'approved') and name = any (v.document_paths)
  );
$$;
revoke execute on function private.verification_document_in_use(text) from public;
grant execute on function private.verification_document_in_use(text) to authenticated;

drop policy objects_delete_owner on storage.objects;

-- Active users delete their own avatars and chat attachments, and verification
-- documents no request under review or approved refers to.
create policy objects_delete_owner on storage.objects
  for delete to authenticated
  using (
    (
      (bucket_id = 'avatars' and private.is_own_object(name))
      or (bucket_id = 'verification-documents' and private.is_own_object(name)
          and not private.verification_document_in_use(name))
      or (bucket_id = 'chat-attachments' and owner_id = (select auth.uid())::text)
    )
    and (select private.is_active_user())
  );
