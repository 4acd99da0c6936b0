// Mailer through Amazon SES (API v2, SendEmail with simple content). The sender is a verified SES
// identity (MAIL_FROM, e.g. "DNSBL <delist@bl.example.org>"); an optional configuration set
// (SES_CONFIGURATION_SET) carries event publishing/suppression settings.
import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { MailMessage, Mailer } from './mailer.js';

export const MAIL_FROM_ENV = 'MAIL_FROM';
export const SES_CONFIGURATION_SET_ENV = 'SES_CONFIGURATION_SET';

export class SesMailer implements Mailer {
  constructor(
    private readonly ses: SESv2Client,
    private readonly from: string,
    private readonly configurationSet?: string,
  ) {}

  async send(m: MailMessage): Promise<void> {
    await this.ses.send(
      new SendEmailCommand({
        FromEmailAddress: this.from,
        Destination: { ToAddresses: [m.to] },
        Content: {
          Simple: {
            Subject: { Data: m.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: m.text, Charset: 'UTF-8' } },
          },
        },
        ...(this.configurationSet ? { ConfigurationSetName: this.configurationSet } : {}),
      }),
    );
  }
}
