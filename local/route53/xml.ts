// XML in and out for the restXml protocol. Requests are parsed with fast-xml-parser keeping every
// value a string (a TXT value or "010" must not become a number); responses are built from plain
// objects whose key order is the element order Route 53 uses.
import { XMLParser } from 'fast-xml-parser';

export const NAMESPACE = 'https://route53.amazonaws.com/doc/2013-04-01/';

/** Elements that repeat inside a list wrapper; always parsed as arrays, even when single. */
const REPEATED = new Set(['Change', 'ResourceRecord']);

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false, // "1.2.3.4 " must reach validation as sent
  // The SDK escapes every '"' of a TXT value as &quot;, so a legal 32,000-character batch can carry
  // tens of thousands of entities: lift the parser's default cap of 1,000 expansions.
  processEntities: { enabled: true, maxTotalExpansions: Number.MAX_SAFE_INTEGER },
  htmlEntities: true, // &#x0A; and friends, which the SDK's serializer emits for control characters
  isArray: (name) => REPEATED.has(name),
});

export type XmlObject = { [key: string]: XmlValue };
export type XmlValue = string | XmlObject | XmlValue[] | undefined;

/** Parses a request body; returns the children of the root element. Throws on malformed XML. */
export function parseXml(body: string): { root: string; value: XmlObject } {
  const doc = parser.parse(body, true) as XmlObject;
  const root = Object.keys(doc).find((k) => k !== '?xml');
  if (!root) throw new Error('no root element');
  const value = doc[root];
  return { root, value: typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {} };
}

/** A response node: text, a nested element, or a list meaning "repeat this element". */
export type Node = string | number | boolean | undefined | null | NodeObject | NodeObject[] | string[];
export interface NodeObject {
  [element: string]: Node;
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function render(name: string, node: Node): string {
  if (node === undefined || node === null) return '';
  if (Array.isArray(node)) return (node as Node[]).map((n) => render(name, n)).join('');
  if (typeof node === 'object') {
    const inner = Object.entries(node)
      .map(([k, v]) => render(k, v))
      .join('');
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${escapeXml(String(node))}</${name}>`;
}

/** A whole response document with the Route 53 namespace on the root. */
export function xmlDocument(root: string, body: NodeObject): string {
  const inner = Object.entries(body)
    .map(([k, v]) => render(k, v))
    .join('');
  return `<?xml version="1.0"?>\n<${root} xmlns="${NAMESPACE}">${inner}</${root}>`;
}

/** Text of a child element, or undefined. */
export function text(obj: XmlValue, key: string): string | undefined {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const v = obj[key];
  return typeof v === 'string' ? v : undefined;
}

export function child(obj: XmlValue, key: string): XmlObject | undefined {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const v = obj[key];
  return v && typeof v === 'object' && !Array.isArray(v) ? v : v === '' ? {} : undefined;
}

export function list(obj: XmlValue, key: string): XmlValue[] {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return [];
  const v = obj[key];
  return Array.isArray(v) ? v : v === undefined ? [] : [v];
}
