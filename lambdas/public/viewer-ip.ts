// The client address the portal counts requests against when CloudFront is in front of it.
//
// CloudFront's viewer-request function (lib/portal-distribution.ts) OVERWRITES this header with
// `event.viewer.ip`, the address of the connection CloudFront accepted, whatever the client sent in
// it; the regional WAF rate-based rule aggregates on the same header (ForwardedIPConfig), and it blocks
// every request that lacks the distribution's origin-verify secret, so a request that reaches the
// function with this header came through CloudFront. X-Forwarded-For is not used: CloudFront appends
// to whatever the client wrote there, and WAF reads its first address.
import { parseAddress, formatNetwork } from '../core/ip.js';

/** Set by the CloudFront Function, read by WAF and by clientOf (lambdas/public/app.ts). */
export const VIEWER_IP_HEADER = 'x-dnsbl-viewer-ip';

/** The function's environment variable naming the trusted client-address header (unset: none is trusted). */
export const PUBLIC_CLIENT_IP_HEADER_ENV = 'PUBLIC_CLIENT_IP_HEADER';

/** The header's value as one address in canonical form, or undefined when it is not exactly one address. */
export function viewerAddress(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '' || text.length > 45 || text.includes(',') || text.includes('/')) return undefined;
  try {
    return formatNetwork(parseAddress(text));
  } catch {
    return undefined;
  }
}
