// Africa's Talking, bulk SMS [shapes from Africa's Talking's SDK documentation as
// reproduced by its client libraries]:
//   POST https://api.africastalking.com/version1/messaging
//   (sandbox: https://api.sandbox.africastalking.com/version1/messaging, username "sandbox")
//   headers `apiKey`, `Accept: application/json`; form username, to (+E.164), message, from?
//   → 201 {SMSMessageData: {Message, Recipients: [{statusCode, number, status, cost, messageId}]}}
// Recipient statusCode: 100 Processed, 101 Sent, 102 Queued; 401 RiskHold,
// 402 InvalidSenderId, 403 InvalidPhoneNumber, 404 UnsupportedNumberType,
// 405 InsufficientBalance, 406 UserInBlacklist, 407 CouldNotRoute,
// 409 DoNotDisturbRejection, 500 InternalServerError, 501 GatewayError, 502 RejectedByGateway.
import { commonHttpError, digits, isObject, safeText, send, type HttpOptions } from './http.ts';
import { SmsError, type SmsErrorKind, type SmsMessage, type SmsProvider, type SmsResult } from './provider.ts';

export interface AfricasTalkingConfig extends HttpOptions {
  username: string;
  apiKey: string;
  /** Registered short code or alphanumeric sender; omitted, the account default applies. */
  sender?: string | undefined;
  /** Defaults to the sandbox host when the username is "sandbox". */
  baseUrl?: string;
}

const RECIPIENT_STATUS: Record<number, SmsErrorKind> = {
  401: 'account',
  402: 'account',
  403: 'invalid_number',
  404: 'invalid_number',
  405: 'account',
  406: 'rejected',
  407: 'rejected',
  409: 'rejected',
  500: 'unavailable',
  501: 'unavailable',
  502: 'rejected',
};

export class AfricasTalkingSmsProvider implements SmsProvider {
  readonly name = 'africas_talking';
  readonly #config: AfricasTalkingConfig;

  constructor(config: AfricasTalkingConfig) {
    this.#config = config;
  }

  async send(message: SmsMessage): Promise<SmsResult> {
    const host = this.#config.baseUrl
      ?? (this.#config.username === 'sandbox' ? 'https://api.sandbox.africastalking.com' : 'https://api.africastalking.com');
    const form = new URLSearchParams({ username: this.#config.username, to: `+${digits(message.to)}`, message: message.text });
    const sender = message.sender ?? this.#config.sender;
    if (sender) form.set('from', sender);
    const response = await send(this.name, `${host}/version1/messaging`, {
      method: 'POST',
      headers: { apiKey: this.#config.apiKey, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    }, this.#config);

    const common = commonHttpError(this.name, response);
    if (common) throw common;
    const data = isObject(response.body) && isObject(response.body.SMSMessageData) ? response.body.SMSMessageData : undefined;
    const recipient = data && Array.isArray(data.Recipients) ? data.Recipients.find(isObject) : undefined;
    if (!recipient) {
      // No recipient at all: the summary says why (e.g. "InvalidPhoneNumber").
      const summary = safeText(data?.Message ?? response.body);
      const invalid = /invalid\s*phone|invalid\s*number/i.test(summary);
      throw new SmsError(this.name, invalid ? 'invalid_number' : response.status >= 400 ? 'rejected' : 'unavailable',
        `africas_talking sent to no recipient${summary ? `: ${summary}` : ''}`, { providerCode: invalid ? 'InvalidPhoneNumber' : response.status });
    }
    const statusCode = Number(recipient.statusCode);
    if ([100, 101, 102].includes(statusCode) && typeof recipient.messageId === 'string') {
      return { providerMessageId: recipient.messageId };
    }
    const status = safeText(recipient.status);
    throw new SmsError(this.name, RECIPIENT_STATUS[statusCode] ?? 'rejected', `africas_talking: ${status || `status ${statusCode}`}`, {
      providerCode: Number.isNaN(statusCode) ? status : statusCode,
    });
  }
}
