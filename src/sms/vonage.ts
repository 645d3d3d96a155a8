// Vonage SMS API (developer.vonage.com, "Send an SMS", "Sending an SMS with Unicode",
// "Troubleshooting SMS"):
//   POST https://rest.nexmo.com/sms/json, form api_key, api_secret, from, to (digits), text,
//   and type=unicode for text outside the GSM 7-bit alphabet (Arabic, Bengali, Cyrillic…)
//   → 200 {"message-count": "1", messages: [{to, "message-id", status: "0", …}]}
// A non-zero messages[].status is an error: 1 throttled, 2 missing parameters,
// 3 invalid parameters, 4 invalid credentials, 5 internal error, 6 invalid message
// (e.g. unrecognised number prefix), 7 number barred, 8 account barred, 9 no credit,
// 10 too many binds, 11 HTTP not enabled, 12 message too long, 14 invalid signature,
// 15 invalid sender address, 29 non-whitelisted destination.
import { commonHttpError, digits, isObject, safeText, send, type HttpOptions } from './http.ts';
import { SmsError, type SmsErrorKind, type SmsMessage, type SmsProvider, type SmsResult } from './provider.ts';

export interface VonageConfig extends HttpOptions {
  apiKey: string;
  apiSecret: string;
  /** Alphanumeric sender or virtual number. */
  sender: string;
  baseUrl?: string;
}

const STATUS: Record<string, SmsErrorKind> = {
  '1': 'rate_limited',
  '2': 'account',
  '3': 'rejected',
  '4': 'account',
  '5': 'unavailable',
  '6': 'invalid_number',
  '7': 'rejected',
  '8': 'account',
  '9': 'account',
  '10': 'unavailable',
  '11': 'account',
  '12': 'rejected',
  '13': 'unavailable',
  '14': 'account',
  '15': 'account',
  '29': 'account',
};

// GSM 03.38 default alphabet and its extension table (the latter costs two septets).
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '\f^{}\\[~]|€';
const GSM = new Set([...GSM_BASIC, ...GSM_EXTENSION]);

/** Whether the text fits the GSM 7-bit alphabet; otherwise it must go as Unicode (UCS-2). */
export function isGsm7(text: string): boolean {
  for (const char of text) if (!GSM.has(char)) return false;
  return true;
}

export class VonageSmsProvider implements SmsProvider {
  readonly name = 'vonage';
  readonly #config: VonageConfig;

  constructor(config: VonageConfig) {
    this.#config = config;
  }

  async send(message: SmsMessage): Promise<SmsResult> {
    const form = new URLSearchParams({
      api_key: this.#config.apiKey,
      api_secret: this.#config.apiSecret,
      from: message.sender ?? this.#config.sender,
      to: digits(message.to),
      text: message.text,
    });
    if (!isGsm7(message.text)) form.set('type', 'unicode');
    if (message.reference) form.set('client-ref', message.reference.slice(0, 100));
    const response = await send(this.name, `${this.#config.baseUrl ?? 'https://rest.nexmo.com'}/sms/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form,
    }, this.#config);

    const common = commonHttpError(this.name, response);
    if (common) throw common;
    const body = isObject(response.body) ? response.body : {};
    const first = Array.isArray(body.messages) ? body.messages.find(isObject) : undefined;
    const status = first ? String(first.status) : undefined;
    if (status === '0' && typeof first?.['message-id'] === 'string') return { providerMessageId: first['message-id'] };
    if (status === undefined) throw new SmsError(this.name, 'unavailable', 'vonage gave no message status', { providerCode: response.status });
    throw new SmsError(this.name, STATUS[status] ?? 'rejected', `vonage status ${status}: ${safeText(first?.['error-text'])}`, {
      providerCode: status,
    });
  }
}
