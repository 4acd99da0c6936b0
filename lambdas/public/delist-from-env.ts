// The portal's delisting service as the public handler and the operator API build it in AWS: its
// requests in the journal table, mail through SES as MAIL_FROM, links starting at PUBLIC_BASE_URL,
// DNS proof through DELIST_PROOF_DNS_SERVERS (or the system resolver). One place, so the operator's
// approve/deny and the sender's request act on the same requests the same way.
import { SESv2Client } from '@aws-sdk/client-sesv2';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DelistRequests } from '../adapters/delist-requests.js';
import { DnsProofResolver, PROOF_DNS_SERVERS_ENV } from '../adapters/dns-proof.js';
import type { Journal } from '../adapters/journal.js';
import type { ListingsTable } from '../adapters/listings-table.js';
import { sdkLogger } from '../adapters/sdk-logger.js';
import { MAIL_FROM_ENV, SES_CONFIGURATION_SET_ENV, SesMailer } from '../adapters/ses-mailer.js';
import { parseDnsServers } from '../api/dns-probe.js';
import type { ZoneConfig } from '../core/listing.js';
import { DelistService } from './delist-service.js';

export const PUBLIC_BASE_URL_ENV = 'PUBLIC_BASE_URL';

/** The service, or undefined when the deployment has no portal (MAIL_FROM unset). */
export function delistServiceFromEnv(
  env: NodeJS.ProcessEnv,
  parts: { cfg: ZoneConfig; doc: DynamoDBDocumentClient; journalTable: string; table: ListingsTable; journal: Journal },
): DelistService | undefined {
  const mailFrom = env[MAIL_FROM_ENV];
  const baseUrl = env[PUBLIC_BASE_URL_ENV];
  if (!mailFrom || !baseUrl) return undefined;
  const proofServers = env[PROOF_DNS_SERVERS_ENV];
  return new DelistService({
    cfg: parts.cfg,
    table: parts.table,
    journal: parts.journal,
    requests: new DelistRequests(parts.doc, parts.journalTable),
    mailer: new SesMailer(new SESv2Client({ logger: sdkLogger }), mailFrom, env[SES_CONFIGURATION_SET_ENV]),
    proof: new DnsProofResolver(proofServers ? parseDnsServers(proofServers) : undefined),
    publicBaseUrl: baseUrl.replace(/\/$/, ''),
  });
}
