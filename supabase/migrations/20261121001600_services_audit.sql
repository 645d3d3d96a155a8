-- Audit of the services context's privileged actions (see 20261121000150_audit.sql):
-- verification decisions, review moderation, dispute resolutions, and the market
-- settings, categories and refund tiers admins change. The functions behind them
-- record their reason with private.set_audit_reason.

-- Verification approved, rejected or revoked.
create trigger provider_verifications_audit_decided
  after update of status on public.provider_verifications
  for each row when (old.status is distinct from new.status)
  execute function private.audit_row('verification.decided');
create trigger provider_verifications_audit_revoked
  after insert on public.provider_verifications
  for each row when (new.status = 'revoked')
  execute function private.audit_row('verification.revoked');

-- Reviews hidden or shown again by an admin.
create trigger reviews_audit_moderated
  after update of hidden_at on public.reviews
  for each row when (old.hidden_at is distinct from new.hidden_at)
  execute function private.audit_row('review.moderated');

-- Disputes resolved.
create trigger disputes_audit_status
  after update of status on public.disputes
  for each row when (old.status is distinct from new.status)
  execute function private.audit_row('dispute.status_changed');

-- Catalogue and policy configuration.
create trigger service_settings_audit_changes
  after insert or update or delete on public.service_settings
  for each row execute function private.audit_row();
create trigger service_categories_audit_changes
  after insert or update or delete on public.service_categories
  for each row execute function private.audit_row();
create trigger cancellation_refund_tiers_audit_changes
  after insert or update or delete on public.cancellation_refund_tiers
  for each row execute function private.audit_row();
