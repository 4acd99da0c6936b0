// The depth of the stream sync's on-failure queue: SQS GetQueueAttributes, ApproximateNumberOfMessages
// ("the approximate number of messages available for retrieval from the queue",
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html).
// Each message is one batch of stream records the event source mapping gave up on (it names the
// shard and the sequence-number range, not the records).
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface FailureQueueDepth {
  /** Messages in the on-failure destination (each one a batch of stream records given up on). */
  messages: number;
  /** Records in them, when known (the local stack counts them; SQS messages only name a range). */
  records?: number;
}

/** Environment variable with the queue's URL (set for the API function by the construct). */
export const FAILURE_QUEUE_URL_ENV = 'FAILURE_QUEUE_URL';

export class SqsFailureQueue {
  constructor(
    private readonly client: SQSClient,
    readonly queueUrl: string,
  ) {}

  async depth(): Promise<FailureQueueDepth> {
    const r = await this.client.send(new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    const raw = r.Attributes?.ApproximateNumberOfMessages;
    if (raw === undefined || !/^[0-9]+$/.test(raw)) throw new Error(`GetQueueAttributes answered ApproximateNumberOfMessages=${String(raw)}`);
    return { messages: Number(raw) };
  }
}
