// Hubtel (Ghana), SMS API "Simple SEND SMS POST":
//   POST https://sms.hubtel.com/v1/messages/send
//   Authorization: Basic base64(clientId:clientSecret), JSON {From, To, Content}
//   → {rate, messageId, status: 0, networkId, clientReference, statusDescription}
// Failures use HTTP statuses, with a numeric subcode in the body for 400s: 1 invalid
// destination, 2 invalid source, 3 body too long, 4 not routable, 6 content rejected,
// 7/8 parameters not allowed/not valid; 401 authorization, 402 no credit, 403 recipient
// has not approved messages, 500, 502 (businessdocs-developers.hubtel.com "Simple
// Messaging"; hubtel.readme.io "Response Code").
import { basicAuth, commonHttpError, digits, isObject, safeText, send, type HttpOptions } from './http.ts';
import { SmsError, type SmsErrorKind, type SmsMessage, type SmsProvider, type SmsResult } from './provider.ts';

export interface HubtelConfig extends HttpOptions {
  clientId: string;
  clientSecret: string;
  /** Sender ID registered with Hubtel (at most 11 characters). */
  sender: string;
  baseUrl?: string;
}

const SUBCODES: Record<number, SmsErrorKind> = {
  1: 'invalid_number',
  2: 'account',
  3: 'rejected',
  4: 'invalid_number',
  6: 'rejected',
  7: 'account',
  8: 'account',
  12: 'account',
};

export class HubtelSmsProvider implements SmsProvider {
  readonly name = 'hubtel';
  readonly #config: HubtelConfig;

  constructor(config: HubtelConfig) {
    this.#config = config;
  }

  async send(message: SmsMessage): Promise<SmsResult> {
    const url = `${this.#config.baseUrl ?? 'https://sms.hubtel.com'}/v1/messages/send`;
    const response = await send(this.name, url, {
      method: 'POST',
      headers: {
        authorization: basicAuth(this.#config.clientId, this.#config.clientSecret),
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify({ From: message.sender ?? this.#config.sender, To: digits(message.to), Content: message.text }),
    }, this.#config);

    const body = isObject(response.body) ? response.body : {};
    const status = typeof body.status === 'number' ? body.status : typeof body.Status === 'number' ? body.Status : undefined;
    const messageId = body.messageId ?? body.MessageId;
    if (response.status >= 200 && response.status < 300 && (status === undefined || status === 0) && typeof messageId === 'string') {
      return { providerMessageId: messageId };
    }

    if (response.status === 402) throw new SmsError(this.name, 'account', 'hubtel account has no messaging credit', { providerCode: 402 });
    if (response.status === 403) {
      throw new SmsError(this.name, 'rejected', 'hubtel: the recipient has not approved messages', { providerCode: 403 });
    }
    const common = commonHttpError(this.name, response);
    if (common) throw common;
    const description = safeText(body.statusDescription ?? body.message ?? body.Message);
    const kind = status !== undefined ? SUBCODES[status] : undefined;
    throw new SmsError(this.name, kind ?? 'rejected', `hubtel refused the message${description ? `: ${description}` : ''}`, {
      providerCode: status ?? response.status,
    });
  }
}
