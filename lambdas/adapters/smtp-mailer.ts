// Mailer over SMTP with nodemailer: the local stack sends to its loopback outbox
// (local/smtp-outbox.ts), a real SMTP server, exactly as a mail to anyone would go out.
import nodemailer, { type Transporter } from 'nodemailer';
import type { MailMessage, Mailer } from './mailer.js';

export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;

  constructor(
    opts: { readonly host: string; readonly port: number },
    private readonly from: string,
  ) {
    // Loopback, no TLS offered by the outbox: plain SMTP.
    this.transport = nodemailer.createTransport({ host: opts.host, port: opts.port, secure: false, ignoreTLS: true });
  }

  async send(m: MailMessage): Promise<void> {
    await this.transport.sendMail({ from: this.from, to: m.to, subject: m.subject, text: m.text });
  }

  close(): void {
    this.transport.close();
  }
}
