// Phone numbers as the hook sees them: E.164 digits, with or without '+'.

/** E.164 digits without '+', or undefined when the input is not a plausible E.164 number. */
export function normalizePhone(phone: string | undefined | null): string | undefined {
  if (!phone) return undefined;
  const trimmed = phone.trim();
  if (!/^\+?[0-9 ()-]+$/.test(trimmed)) return undefined;
  const digits = trimmed.replace(/\D/g, '');
  return /^[1-9][0-9]{6,14}$/.test(digits) ? digits : undefined;
}

/**
 * For logs: the country-code end and the last two digits stay, the rest is masked,
 * e.g. 233201234567 → 233•••••••67. Enough to tell numbers apart, not to dial one.
 */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length <= 5) return '•'.repeat(digits.length);
  return `${digits.slice(0, 3)}${'•'.repeat(digits.length - 5)}${digits.slice(-2)}`;
}
