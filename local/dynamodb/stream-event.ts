// A DynamoDB Streams API record (as the SDK returns it) -> the record Lambda puts in the event.
// The differences are in the wire format: Lambda's event is JSON, so binary attributes are base64
// strings and ApproximateCreationDateTime is epoch seconds, where the SDK gives Uint8Array and Date.
import type { AttributeValue as SdkValue, _Record as SdkRecord } from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, DynamoDBRecord, StreamRecord } from 'aws-lambda';

type Image = Record<string, SdkValue> | undefined;

export function toLambdaRecord(r: SdkRecord, eventSourceARN: string): DynamoDBRecord {
  const d = r.dynamodb ?? {};
  const dynamodb: StreamRecord = {};
  // Same field order as a Lambda event, so logged events look alike.
  if (d.ApproximateCreationDateTime) dynamodb.ApproximateCreationDateTime = Math.floor(d.ApproximateCreationDateTime.getTime() / 1000);
  if (d.Keys) dynamodb.Keys = image(d.Keys);
  if (d.NewImage) dynamodb.NewImage = image(d.NewImage);
  if (d.OldImage) dynamodb.OldImage = image(d.OldImage);
  dynamodb.SequenceNumber = d.SequenceNumber;
  dynamodb.SizeBytes = d.SizeBytes;
  dynamodb.StreamViewType = d.StreamViewType;
  const out: DynamoDBRecord = {
    eventID: r.eventID,
    // DynamoDB Local gives TTL deletions an unknown name; passed through as Lambda would.
    eventName: r.eventName as DynamoDBRecord['eventName'],
    eventVersion: r.eventVersion,
    eventSource: r.eventSource,
    awsRegion: r.awsRegion,
    dynamodb,
    eventSourceARN,
  };
  if (r.userIdentity) out.userIdentity = { type: r.userIdentity.Type, principalId: r.userIdentity.PrincipalId };
  return out;
}

function image(m: NonNullable<Image>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, value(v)]));
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

function value(v: SdkValue): AttributeValue {
  if (v.S !== undefined) return { S: v.S };
  if (v.N !== undefined) return { N: v.N };
  if (v.B !== undefined) return { B: b64(v.B) };
  if (v.BOOL !== undefined) return { BOOL: v.BOOL };
  if (v.NULL !== undefined) return { NULL: v.NULL };
  if (v.SS !== undefined) return { SS: v.SS };
  if (v.NS !== undefined) return { NS: v.NS };
  if (v.BS !== undefined) return { BS: v.BS.map(b64) };
  if (v.L !== undefined) return { L: v.L.map(value) };
  if (v.M !== undefined) return { M: image(v.M) };
  throw new Error(`unsupported attribute value ${JSON.stringify(v)}`);
}
