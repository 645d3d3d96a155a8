// One small interface every SMS provider sits behind, and the one error they all raise.
//
// Adapters turn each provider's own success and error shapes into `{ providerMessageId }`
// or an SmsError whose `kind` says what the caller can do about it: a permanent failure
// (the number cannot receive this message: retrying will not help) or a transient one
// (timeout, provider outage, rate limit, or our own account's configuration).

export interface SmsMessage {
  /** E.164 number; a leading '+' is optional (GoTrue sends digits only). */
  to: string;
  text: string;
  /** Sender ID or number; each adapter falls back to the one in its configuration. */
  sender?: string | undefined;
  /**
   * A stable reference for this message (the hook passes the webhook id). Providers that
   * accept a client reference get it, so their own logs can be matched with ours.
   */
  reference?: string | undefined;
}

export interface SmsResult {
  providerMessageId: string;
}

export interface SmsProvider {
  /** The slug markets.sms_provider names, e.g. `hubtel`. */
  readonly name: string;
  send(message: SmsMessage): Promise<SmsResult>;
}

export type SmsErrorKind =
  /** The provider says the number is not a valid, reachable mobile number. Permanent. */
  | 'invalid_number'
  /** The provider refuses this recipient or content (barred, opted out, blocked). Permanent. */
  | 'rejected'
  /** We are sending faster than the provider allows. Transient. */
  | 'rate_limited'
  /** Timeout, network failure or a provider-side 5xx. Transient. */
  | 'unavailable'
  /** Our account: bad credentials, no credit, unapproved sender. Needs an operator; the user may retry later. */
  | 'account';

const PERMANENT: ReadonlySet<SmsErrorKind> = new Set(['invalid_number', 'rejected']);

export class SmsError extends Error {
  readonly kind: SmsErrorKind;
  readonly provider: string;
  /** The provider's own status or error code, for operators. Never contains message text. */
  readonly providerCode: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    provider: string,
    kind: SmsErrorKind,
    message: string,
    options: { providerCode?: string | number | undefined; retryAfterSeconds?: number | undefined; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SmsError';
    this.provider = provider;
    this.kind = kind;
    this.providerCode = options.providerCode === undefined ? undefined : String(options.providerCode);
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** True when sending the same message again cannot succeed. */
  get permanent(): boolean {
    return PERMANENT.has(this.kind);
  }
}

export function isSmsError(error: unknown): error is SmsError {
  return error instanceof SmsError;
}
