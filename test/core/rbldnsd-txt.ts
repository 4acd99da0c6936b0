// rbldnsd's handling of an entry's TXT, as a model for property tests, and generators of hostile TXT
// texts ($, quotes, backslashes, "=", "#", ";", runs of spaces, placeholders: printable ASCII only).
//
// The model follows rbldnsd 1.0~20210120 (rbldnsd_util.c): parse_a_txt() keeps at most 255 bytes of
// the text as written after ":code:" (leading spaces skipped, trailing ones already gone with the
// line) and logs "TXT RR truncated to 255 bytes"; at answer time txtsubst() drops one leading "="
// (the "no base template" mark), replaces "$$" by "$", "$" + digit by substitution variable n (left
// as written when undefined, as here), "$=" by the whole text, any other "$" by the queried address,
// and cuts the result at 254 bytes. The man page (rbldnsd(8), "Resulting A values and TXT templates")
// documents "$", "$$", "$n", "$=" and the leading "=". test/e2e/real-dns.test.ts holds the real
// daemon to the same answers.
import fc from 'fast-check';

export function rbldnsdAnswer(written: string, queried: string): string {
  let txt = written.replace(/^[ \t]+/, '').slice(0, 255);
  let self = txt;
  if (txt.startsWith('=')) {
    txt = txt.slice(1);
    self = txt;
  }
  let out = '';
  for (let i = 0; i < txt.length && out.length < 254; i++) {
    const c = txt[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    const n = txt[i + 1];
    if (n === '$') {
      out += '$';
      i++;
    } else if (n !== undefined && n >= '0' && n <= '9') {
      out += `$${n}`;
      i++;
    } else if (n === '=') {
      out += self;
      i++;
    } else out += queried;
  }
  return out.slice(0, 254);
}

const special = fc.constantFrom('$', '$', '$$', '"', '\\', '=', '#', ';', ' ', '  ', '{', '}', '{ip}', '$1', '$=', ':');
const chunk = fc.oneof({ weight: 3, arbitrary: special }, { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 8 }) });

/** Reasons as the API may store them: printable ASCII, trimmed, 1..200 characters. */
export const txtTextArb: fc.Arbitrary<string> = fc
  .array(chunk, { minLength: 1, maxLength: 80 })
  .map((parts) => parts.join('').replace(/[^\x20-\x7e]/g, '?').trim().slice(0, 200).trim())
  .filter((t) => t.length > 0);

/** TXT templates: hostile text around the four placeholders, without stray braces (unknown placeholders are refused). */
export const txtTemplateArb: fc.Arbitrary<string> = fc
  .array(fc.oneof({ weight: 1, arbitrary: fc.constantFrom('{reason}', '{ip}', '{list}', '{code}') }, { weight: 3, arbitrary: chunk }), {
    minLength: 1,
    maxLength: 40,
  })
  .map((parts) =>
    parts
      .map((p) => (/^\{(reason|ip|list|code)\}$/.test(p) ? p : p.replace(/[{}]/g, '|')))
      .join('')
      .replace(/[^\x20-\x7e]/g, '?')
      .trim()
      .slice(0, 200)
      .trim(),
  )
  .filter((t) => t.length > 0 && !/\{(?!(reason|ip|list|code)\})/.test(t));
