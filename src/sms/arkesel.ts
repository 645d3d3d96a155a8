// Arkesel (Ghana), SMS API v2 [third-party sources: Arkesel's own SDK samples and
// community clients; verify against sms.arkesel.com's API page before go-live]:
//   POST https://sms.arkesel.com/api/v2/sms/send
//   header `api-key: <key>`, JSON {sender, message, recipients: ["233…"]}
//   → {status: "success", data: [{recipient, id}, …, {"invalid numbers": ["…"]}]}
// Errors answer with a non-2xx status and {status: "error", message}.
import { commonHttpError, digits, isObject, safeText, send, type HttpOptions } from './http.ts';
import { SmsError, type SmsMessage, type SmsProvider, type SmsResult } from './provider.ts';

export interface ArkeselConfig extends HttpOptions {
  apiKey: string;
  /** Sender ID (at most 11 characters). */
  sender: string;
  baseUrl?: string;
}

export class ArkeselSmsProvider implements SmsProvider {
  readonly name = 'arkesel';
  readonly #config: ArkeselConfig;

  constructor(config: ArkeselConfig) {
    this.#config = config;
  }

  async send(message: SmsMessage): Promise<SmsResult> {
    const to = digits(message.to);
    const response = await send(this.name, `${this.#config.baseUrl ?? 'https://sms.arkesel.com'}/api/v2/sms/send`, {
      method: 'POST',
      headers: { 'api-key': this.#config.apiKey, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ sender: message.sender ?? this.#config.sender, message: message.text, recipients: [to] }),
    }, this.#config);

    const body = isObject(response.body) ? response.body : {};
    const entries = Array.isArray(body.data) ? body.data.filter(isObject) : [];
    if (response.status >= 200 && response.status < 300 && body.status === 'success') {
      const sent = entries.find((entry) => typeof entry.id === 'string' && digits(String(entry.recipient ?? '')) === to)
        ?? entries.find((entry) => typeof entry.id === 'string');
      if (sent) return { providerMessageId: sent.id as string };
      const invalid = entries.some((entry) => Array.isArray(entry['invalid numbers']) && entry['invalid numbers'].length > 0);
      throw new SmsError(this.name, invalid ? 'invalid_number' : 'rejected', invalid ? 'arkesel: invalid number' : 'arkesel accepted no recipient', {
        providerCode: invalid ? 'invalid_number' : 'no_recipient',
      });
    }

    const common = commonHttpError(this.name, response);
    if (common) throw common;
    const text = safeText(body.message);
    if (response.status === 402 || /balance|credit/i.test(text)) {
      throw new SmsError(this.name, 'account', `arkesel: ${text || 'insufficient balance'}`, { providerCode: response.status });
    }
    if (/sender/i.test(text)) throw new SmsError(this.name, 'account', `arkesel: ${text}`, { providerCode: response.status });
    const invalidNumber = /number|recipient|phone/i.test(text);
    throw new SmsError(this.name, invalidNumber ? 'invalid_number' : 'rejected', `arkesel refused the message${text ? `: ${text}` : ''}`, {
      providerCode: response.status,
    });
  }
}
