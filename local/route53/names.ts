// Domain names the way Route 53 keeps them: case-insensitive, lower-case with a trailing dot, and
// every character other than a-z 0-9 - _ written as a \ooo octal escape. That is the form
// ListResourceRecordSets returns (so the wildcard label reads `\052`), and using it as the one
// internal key means API input, DNS queries and listing order all agree on a name.

/** The wildcard label in key form. */
export const WILDCARD_LABEL = '\\052';

export class NameError extends Error {
  constructor(
    readonly problem: 'DomainLabelEmpty' | 'DomainLabelTooLong' | 'DomainNameTooLong' | 'InvalidCharacter',
    readonly text: string,
  ) {
    super(
      {
        DomainLabelEmpty: 'Domain label is empty',
        DomainLabelTooLong: 'Domain label is too long',
        DomainNameTooLong: 'Domain name is too long',
        InvalidCharacter: 'Domain name contains an invalid character',
      }[problem],
    );
  }
}

/**
 * Presentation text ("Foo.\052.example.org" or without the trailing dot) -> raw labels, escapes
 * decoded and A-Z folded to a-z. Throws NameError for empty labels, labels over 63 octets and names
 * over 255 octets in wire form.
 */
export function parseName(text: string): string[] {
  if (text === '.' || text === '') return [];
  const labels: string[] = [];
  let label = '';
  let i = 0;
  const end = text.endsWith('.') && !text.endsWith('\\.') ? text.length - 1 : text.length;
  const finish = (): void => {
    if (label.length === 0) throw new NameError('DomainLabelEmpty', text);
    if (label.length > 63) throw new NameError('DomainLabelTooLong', text);
    labels.push(label);
    label = '';
  };
  while (i < end) {
    const c = text[i]!;
    if (c === '\\') {
      const digits = text.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(digits)) {
        // Route 53 escapes are octal (\052 = '*'), unlike zone files' decimal \DDD.
        const code = /^[0-7]{3}$/.test(digits) ? parseInt(digits, 8) : NaN;
        if (Number.isNaN(code) || code > 255) throw new NameError('InvalidCharacter', text);
        label += String.fromCharCode(code);
        i += 4;
      } else if (i + 1 < end) {
        label += text[i + 1];
        i += 2;
      } else {
        throw new NameError('InvalidCharacter', text);
      }
      continue;
    }
    if (c === '.') {
      finish();
      i++;
      continue;
    }
    if (c.charCodeAt(0) > 255) throw new NameError('InvalidCharacter', text);
    label += c;
    i++;
  }
  finish();
  const lowered = labels.map((l) => l.replace(/[A-Z]/g, (ch) => ch.toLowerCase()));
  if (wireLength(lowered) > 255) throw new NameError('DomainNameTooLong', text);
  return lowered;
}

/** Octets the name takes on the wire (length bytes + labels + root). */
export function wireLength(labels: readonly string[]): number {
  return labels.reduce((n, l) => n + l.length + 1, 1);
}

/** One raw label -> key form: a-z 0-9 - _ as is, everything else \ooo. */
export function escapeLabel(raw: string): string {
  let out = '';
  for (const ch of raw) {
    if (/[a-z0-9_-]/.test(ch)) out += ch;
    else out += '\\' + (ch.charCodeAt(0) & 0xff).toString(8).padStart(3, '0');
  }
  return out;
}

export function unescapeLabel(label: string): string {
  return label.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function labelsToKey(labels: readonly string[]): string {
  return labels.length === 0 ? '.' : labels.map(escapeLabel).join('.') + '.';
}

/** Presentation text -> key ("foo.example.org."). Throws NameError. */
export function nameKey(text: string): string {
  return labelsToKey(parseName(text));
}

/** Key -> escaped labels (dots inside labels are escaped, so splitting is safe). */
export function keyLabels(key: string): string[] {
  return key === '.' ? [] : key.slice(0, -1).split('.');
}

export function isAtOrBelow(key: string, apexKey: string): boolean {
  return key === apexKey || key.endsWith('.' + apexKey);
}

export function parentKey(key: string): string {
  const i = key.indexOf('.');
  return i === key.length - 1 ? '.' : key.slice(i + 1);
}

/**
 * ListHostedZonesByName's order: the name in key form (escapes kept) with its labels reversed and
 * the trailing dot kept, compared as ASCII text ("org.example.bl.10." < "org.example.bl.2."). The
 * API reference for ListHostedZonesByName: "The labels are reversed and alphabetized using the
 * escaped value" (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByName.html).
 * Record sets are listed in a different order: see listingKey.
 */
export function sortKey(key: string): string {
  return key === '.' ? '.' : keyLabels(key).reverse().join('.') + '.';
}

/**
 * Where a wildcard label sorts in ListResourceRecordSets: 'ascii' (the default, Route 53's
 * documented order) compares the raw octets, so `*` (42) sorts before '-' (45), '.' and the digits;
 * 'escaped' compares the name as it is written back (`\052`: after the digits, before the letters).
 * The second exists so that tests can check that callers do not depend on the first.
 */
export type WildcardOrder = 'ascii' | 'escaped';

/**
 * ListResourceRecordSets' order (then by type). The API reference
 * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html,
 * "Sort order"): "ListResourceRecordSets sorts results first by DNS name with the labels reversed,
 * for example: com.example.www. Note the trailing dot, which can change the sort order when the
 * record name contains characters that appear before . (decimal 46) in the ASCII table. These
 * characters include the following: ! " # $ % & ' ( ) * + , -". The list only makes sense for the
 * raw characters (escaped, each would start with '\', 92), so the labels are compared raw: a
 * wildcard sorts as `*` (before "0"), although the response writes it as `\052`. The dots take
 * part too, so "a-b" sorts before "a". (A label holding a raw '.' would be ambiguous here; the
 * stand-in's names never do in practice.)
 */
export function listingKey(key: string, order: WildcardOrder = 'ascii'): string {
  if (order === 'escaped') return sortKey(key);
  return key === '.' ? '.' : keyLabels(key).reverse().map(unescapeLabel).join('.') + '.';
}

export function compareAscii(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The key as the convenience accessor shows it: wildcard label as "*", other escapes kept. */
export function displayName(key: string): string {
  return key.startsWith(WILDCARD_LABEL + '.') ? '*' + key.slice(WILDCARD_LABEL.length) : key;
}
