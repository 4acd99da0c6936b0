// Builds the CDK app: configuration from context / config file, one DnsblStack, cdk-nag's
// AwsSolutions checks as a validation plugin (findings fail `cdk synth`; see validation-report.json).
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadAppConfig } from './config.js';
import { DnsblStack } from './dnsbl-stack.js';

export interface CreateAppOptions extends AppProps {
  /** Run cdk-nag's AwsSolutions pack at synth. @default true */
  readonly nag?: boolean;
  /** Read a config file (tests pass their own). */
  readonly readFile?: (file: string) => string;
}

export function createApp(options: CreateAppOptions = {}): { app: App; stack: DnsblStack } {
  const { nag = true, readFile, ...appProps } = options;
  const app = new App(appProps);
  const cfg = loadAppConfig((key) => app.node.tryGetContext(key), readFile);
  const stack = new DnsblStack(app, cfg.stackName, {
    publisher: cfg.publisher,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
