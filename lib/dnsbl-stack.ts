// One DNSBL zone per stack: the DnsblPublisher construct plus the stack outputs an operator needs.
import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { DnsblPublisher, type DnsblPublisherProps } from './dnsbl-publisher.js';

export interface DnsblStackProps extends StackProps {
  readonly publisher: DnsblPublisherProps;
}

export class DnsblStack extends Stack {
  readonly publisher: DnsblPublisher;

  constructor(scope: Construct, id: string, props: DnsblStackProps) {
    super(scope, id, {
      description: `dnsbl-publisher: DNS blocklist ${props.publisher.zoneName} (Route 53 zone, DynamoDB listings, rbldnsd export, operator API)`,
      ...props,
    });
    const p = new DnsblPublisher(this, 'Dnsbl', props.publisher);
    this.publisher = p;
    const imported = props.publisher.hostedZoneId !== undefined && props.publisher.hostedZoneId !== '';

    new CfnOutput(this, 'NameServers', { description: p.nameServersDescription, value: Fn.join(' ', p.nameServers) });
    new CfnOutput(this, 'HostedZoneId', {
      description: imported ? 'The imported public hosted zone (existing delegation is kept).' : 'The public hosted zone created for the DNSBL.',
      value: p.hostedZone.hostedZoneId,
    });
    new CfnOutput(this, 'ApiUrl', { description: 'Operator API base URL (every method needs SigV4-signed requests).', value: p.api.url });
    if (p.publicPortal) {
      new CfnOutput(this, 'PublicPortalUrl', { description: 'Public look-up page and self-service delisting, served by CloudFront (append lookup?ip=ADDRESS).', value: p.publicPortal.url });
    }
    if (p.evidence) {
      new CfnOutput(this, 'EvidenceReporterPolicyArn', { description: 'Managed policy allowing only POST /v1/evidence on the operator API: attach it to reporters.', value: p.evidence.reporterPolicy.managedPolicyArn });
      if (p.evidence.mail) {
        new CfnOutput(this, 'EvidenceMailActivateCommand', { description: 'Makes the evidence mail rule set the active one (replaces any active set of the account in this region).', value: p.evidence.mail.activateCommand() });
      }
    }
    new CfnOutput(this, 'ExportUrl', { description: 'Newest rbldnsd data file for mirrors (CloudFront, HTTPS only).', value: p.exportUrl });
    new CfnOutput(this, 'ExportManifestUrl', {
      description: 'Export manifest (serial, sha256, keys): the source for `dnsbl mirror pull`.',
      value: p.exportManifestUrl,
    });
    new CfnOutput(this, 'ExportBucket', { description: 'S3 bucket holding the rbldnsd export.', value: p.exportBucket.bucketName });
    new CfnOutput(this, 'AlarmTopicArn', { description: 'SNS topic of the DNSBL alarms (subscribe more endpoints here).', value: p.alarmTopic.topicArn });
    new CfnOutput(this, 'OnFailureQueueUrl', {
      description: 'Listings stream records that failed every retry (alarmed at depth > 0).',
      value: p.onFailureQueue.queueUrl,
    });
    new CfnOutput(this, 'DashboardName', { description: 'CloudWatch dashboard of the DNSBL.', value: p.dashboard.dashboardName });
  }
}
