// SigV4 signing of API requests (service execute-api), as API Gateway's IAM authorization wants.
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export type Credentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

/** The region of an execute-api URL (https://<id>.execute-api.<region>.amazonaws.com/<stage>). */
export function regionFromUrl(url: URL): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(url.hostname)?.[1];
}

export interface RequestToSign {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** The request's headers plus host, x-amz-date, x-amz-content-sha256 (and the token) and Authorization. */
export async function signRequest(
  req: RequestToSign,
  opts: { region: string; credentials: Credentials; signingDate?: Date },
): Promise<Record<string, string>> {
  const signer = new SignatureV4({ service: 'execute-api', region: opts.region, credentials: opts.credentials, sha256: Sha256 });
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of req.url.searchParams) {
    const cur = query[k];
    query[k] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v];
  }
  const signed = await signer.sign(
    {
      method: req.method.toUpperCase(),
      protocol: req.url.protocol,
      hostname: req.url.hostname,
      ...(req.url.port ? { port: Number(req.url.port) } : {}),
      path: req.url.pathname,
      query,
      headers: { ...req.headers, host: req.url.host },
      ...(req.body !== undefined ? { body: req.body } : {}),
    },
    opts.signingDate ? { signingDate: opts.signingDate } : {},
  );
  return signed.headers as Record<string, string>;
}
