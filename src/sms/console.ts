// The development provider: messages stay in memory (and, in development, in the
// function's log, so whoever runs `npm run dev` can read the code and sign in).
// In production mode nothing it records or prints contains a code or a full number.
import { maskPhone } from './phone.ts';
import type { SmsMessage, SmsProvider, SmsResult } from './provider.ts';

export interface ConsoleMessage {
  id: string;
  to: string;
  text: string;
  sender: string | undefined;
  at: number;
}

export interface ConsoleSmsConfig {
  /** Production mode: digits in texts and numbers are masked everywhere. */
  production: boolean;
  /** Where the line goes; defaults to console.log. */
  print?: (line: string) => void;
  /** Messages kept in memory, newest last. */
  keep?: number;
  now?: () => number;
}

/** Masks every run of 4+ digits: OTP codes never leave in production. */
export function redactDigits(text: string): string {
  return text.replace(/\d{4,}/g, (run) => '•'.repeat(run.length));
}

export class ConsoleSmsProvider implements SmsProvider {
  readonly name = 'console';
  readonly #config: ConsoleSmsConfig;
  readonly #messages: ConsoleMessage[] = [];
  #sequence = 0;

  constructor(config: ConsoleSmsConfig) {
    this.#config = config;
  }

  /** What was "sent", oldest first (production mode: redacted). */
  get messages(): readonly ConsoleMessage[] {
    return this.#messages;
  }

  /** The newest message to a number (digits, '+' optional). */
  lastTo(phone: string): ConsoleMessage | undefined {
    const wanted = phone.replace(/\D/g, '');
    const masked = maskPhone(wanted);
    for (let i = this.#messages.length - 1; i >= 0; i -= 1) {
      const message = this.#messages[i]!;
      if (message.to === wanted || message.to === masked) return message;
    }
    return undefined;
  }

  clear(): void {
    this.#messages.length = 0;
  }

  async send(message: SmsMessage): Promise<SmsResult> {
    const { production } = this.#config;
    const id = `console-${++this.#sequence}`;
    const to = message.to.replace(/\D/g, '');
    const record: ConsoleMessage = {
      id,
      to: production ? maskPhone(to) : to,
      text: production ? redactDigits(message.text) : message.text,
      sender: message.sender,
      at: (this.#config.now ?? Date.now)(),
    };
    this.#messages.push(record);
    const keep = this.#config.keep ?? 100;
    if (this.#messages.length > keep) this.#messages.splice(0, this.#messages.length - keep);
    (this.#config.print ?? console.log)(`[sms:console] to +${record.to}: ${record.text}`);
    return { providerMessageId: id };
  }
}
