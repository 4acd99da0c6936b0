// Where SES receiving puts abuse-report mail, and what an S3 event notification says about it.
//
// One receipt rule per evidence kind, each writing under its own prefix: `mail/<kind>/<SES message
// id>` (SES names the object after the prefix and the message id). The kind travels in the key, so
// the function needs no envelope recipient to know whether a mail was a trap hit or a report.
//
// Keys in S3 event notifications are URL-encoded, form style ("red flower.jpg" arrives as
// "red+flower.jpg"): https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
// ("The object key name value is URL encoded"). A key must be decoded before GetObject.

export const MAIL_PREFIX = 'mail/';

/** Comma-separated networks whose Received hops the mail intake passes over (its trusted relays). */
export const MAIL_TRUSTED_RELAYS_ENV = 'EVIDENCE_MAIL_TRUSTED_RELAYS';

/** The object key prefix of mail of one kind (the receipt rule's S3 action writes there). */
export const mailPrefixOf = (kind: string): string => `${MAIL_PREFIX}${kind}/`;

/** The key of an S3 event notification as the object is named: "+" is a space, then %-escapes. */
export function decodeEventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** The evidence kind of a mail object, from its (decoded) key; undefined for keys outside mail/<kind>/. */
export function kindOfMailKey(key: string): string | undefined {
  const m = /^mail\/([a-z][a-z0-9-]{0,30})\/[^/]+$/.exec(key);
  return m?.[1];
}
