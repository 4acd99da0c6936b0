// The Mailer port: how the public portal sends its mails (confirmation links, outcomes). In AWS
// SesMailer (ses-mailer.ts); on the local stack SmtpMailer (smtp-mailer.ts) to the loopback outbox.
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}
