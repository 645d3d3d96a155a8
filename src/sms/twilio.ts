// Twilio Programmable Messaging, "Create a Message resource":
//   POST https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Messages.json
//   Authorization: Basic base64(AccountSid:AuthToken); form To (+E.164), Body, and From
//   or MessagingServiceSid → 201 {sid, status: "queued" | "accepted", …}
// Errors: {code, message, more_info, status}; e.g. 21211 invalid 'To', 21614 'To' not
// a mobile number, 21610 recipient unsubscribed, 21408 region not enabled, 20003
// authentication, 20429 too many requests (twilio.com/docs/api/errors).
import { basicAuth, commonHttpError, digits, isObject, safeText, send, type HttpOptions } from './http.ts';
import { SmsError, type SmsErrorKind, type SmsMessage, type SmsProvider, type SmsResult } from './provider.ts';

export interface TwilioConfig extends HttpOptions {
  accountSid: string;
  authToken: string;
  /** A Twilio number or alphanumeric sender; or use messagingServiceSid. */
  from?: string | undefined;
  messagingServiceSid?: string | undefined;
  baseUrl?: string;
}

const ERROR_CODES: Record<number, SmsErrorKind> = {
  21211: 'invalid_number',
  21214: 'invalid_number',
  21217: 'invalid_number',
  21401: 'invalid_number',
  21407: 'invalid_number',
  21421: 'invalid_number',
  21612: 'invalid_number',
  21614: 'invalid_number',
  21408: 'account',
  21606: 'account',
  21608: 'account',
  21659: 'account',
  20003: 'account',
  21610: 'rejected',
  30007: 'rejected',
  20429: 'rate_limited',
  14107: 'rate_limited',
};

export class TwilioSmsProvider implements SmsProvider {
  readonly name = 'twilio';
  readonly #config: TwilioConfig;

  constructor(config: TwilioConfig) {
    if (!config.from && !config.messagingServiceSid) throw new Error('Twilio needs `from` or `messagingServiceSid`');
    this.#config = config;
  }

  async send(message: SmsMessage): Promise<SmsResult> {
    const { accountSid, authToken } = this.#config;
    const form = new URLSearchParams({ To: `+${digits(message.to)}`, Body: message.text });
    const from = message.sender ?? this.#config.from;
    if (from) form.set('From', from);
    else form.set('MessagingServiceSid', this.#config.messagingServiceSid!);
    const url = `${this.#config.baseUrl ?? 'https://api.twilio.com'}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`;
    const response = await send(this.name, url, {
      method: 'POST',
      headers: { authorization: basicAuth(accountSid, authToken), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form,
    }, this.#config);

    const body = isObject(response.body) ? response.body : {};
    if (response.status >= 200 && response.status < 300 && typeof body.sid === 'string' && body.status !== 'failed') {
      return { providerMessageId: body.sid };
    }
    const code = typeof body.code === 'number' ? body.code : undefined;
    const kind = code !== undefined ? ERROR_CODES[code] : undefined;
    const common = commonHttpError(this.name, response, code);
    // HTTP 429 keeps its Retry-After; otherwise Twilio's own code is the better guide.
    if (kind && common?.kind !== 'rate_limited') {
      throw new SmsError(this.name, kind, `twilio error ${code}: ${safeText(body.message)}`, { providerCode: code });
    }
    if (common) throw common;
    throw new SmsError(this.name, 'rejected', `twilio refused the message${body.message ? `: ${safeText(body.message)}` : ''}`, {
      providerCode: code ?? response.status,
    });
  }
}
