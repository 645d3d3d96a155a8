// SSL Wireless SMS Plus (Bangladesh), API v3 [third-party sources: integrators'
// notes on the official v3.0.0 document and sample responses; verify with SSL's PDF]:
//   POST https://smsplus.sslwireless.com/api/v3/send-sms
//   JSON {api_token, sid, msisdn: "8801…", sms, csms_id (unique per message)}
//   → {status: "SUCCESS", status_code: 200, error_message: "",
//      smsinfo: [{sms_status: "SUCCESS", status_message, msisdn, sms_type, sms_body, csms_id, reference_id}]}
// A refusal answers {status: "FAILED", status_code: <4xxx>, error_message}.
import { commonHttpError, digits, isObject, safeText, send, type HttpOptions } from './http.ts';
import { SmsError, type SmsMessage, type SmsProvider, type SmsResult } from './provider.ts';

export interface SslWirelessConfig extends HttpOptions {
  apiToken: string;
  /** The brand/masking SID SSL assigned; it fixes the sender, so `sender` is ignored. */
  sid: string;
  baseUrl?: string;
}

/** SSL keeps csms_id short [unverified: documented limit]; 20 alphanumerics are plenty unique. */
function csmsId(reference: string | undefined): string {
  const base = (reference ?? crypto.randomUUID()).replace(/[^A-Za-z0-9]/g, '');
  return base.slice(-20) || crypto.randomUUID().replace(/-/g, '').slice(0, 20);
}

export class SslWirelessSmsProvider implements SmsProvider {
  readonly name = 'ssl_wireless';
  readonly #config: SslWirelessConfig;

  constructor(config: SslWirelessConfig) {
    this.#config = config;
  }

  async send(message: SmsMessage): Promise<SmsResult> {
    const response = await send(this.name, `${this.#config.baseUrl ?? 'https://smsplus.sslwireless.com'}/api/v3/send-sms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        api_token: this.#config.apiToken,
        sid: this.#config.sid,
        msisdn: digits(message.to),
        sms: message.text,
        csms_id: csmsId(message.reference),
      }),
    }, this.#config);

    const body = isObject(response.body) ? response.body : {};
    const info = Array.isArray(body.smsinfo) ? body.smsinfo.find(isObject) : undefined;
    if (response.status < 300 && body.status === 'SUCCESS' && info && info.sms_status === 'SUCCESS') {
      return { providerMessageId: String(info.reference_id ?? info.csms_id) };
    }

    const common = commonHttpError(this.name, response, typeof body.status_code === 'number' ? body.status_code : undefined);
    if (common) throw common;
    const code = body.status_code ?? response.status;
    const text = safeText(body.error_message || info?.status_message || '');
    if (Number(code) >= 5000) throw new SmsError(this.name, 'unavailable', `ssl_wireless failed: ${text}`, { providerCode: String(code) });
    if (/token|unauthori[sz]ed|\bip\b|balance|credit|\bsid\b|mask/i.test(text)) {
      throw new SmsError(this.name, 'account', `ssl_wireless: ${text}`, { providerCode: String(code) });
    }
    const invalid = /msisdn|number|recipient/i.test(text);
    throw new SmsError(this.name, invalid ? 'invalid_number' : 'rejected', `ssl_wireless refused the message${text ? `: ${text}` : ''}`, {
      providerCode: String(code),
    });
  }
}
