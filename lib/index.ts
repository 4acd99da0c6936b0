// Public API for other CDK apps: `import { DnsblPublisher } from 'dnsbl-publisher/lib/index.js'`.
export {
  DEFAULT_API_THROTTLE,
  DEFAULT_NEGATIVE_TTL,
  DEFAULT_TTL,
  DnsblPublisher,
  EXPORT_FUNCTION_NAME_ENV,
  MANAGED_RECORD_TYPES,
  METRICS_NAMESPACE,
  exportFolder,
  defaultLists,
  normalizeZoneName,
  type ApiThrottle,
  type DnsblPublisherProps,
  type ExportDomain,
  type NagAcknowledgement,
} from './dnsbl-publisher.js';
export { DnsblStack, type DnsblStackProps } from './dnsbl-stack.js';
export { CONTEXT, ConfigError, loadAppConfig, NO_ZONE_MESSAGE, parseLists, type DnsblAppConfig } from './config.js';
export { createApp, type CreateAppOptions } from './app.js';
export type { ListDef, ZoneConfig } from '../lambdas/core/listing.js';
export { PublisherEvidence, type EvidenceOptions, type EvidenceMailOptions } from './evidence.js';
