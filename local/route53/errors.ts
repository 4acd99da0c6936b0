// API errors with the HTTP status and XML body Route 53 uses, so the SDK maps them to the same
// exception classes (err.name === 'Throttling', 'InvalidChangeBatch', ...).
//
// InvalidChangeBatch: the API reference still documents a body rooted at <InvalidChangeBatch> with
// <Messages>, but Route 53 today answers with the ordinary <ErrorResponse> and puts all messages in
// one <Message>, bracketed and comma-separated: "[msg1, msg2]". The SDK v3 (schema-based restXml,
// 3.11xx) only finds the error code in Error/Code or a top-level Code, so the documented shape would
// surface as an "Unknown" error; the current real shape surfaces as InvalidChangeBatch with
// err.message "[...]". This stand-in sends the real shape.

export type ErrorCode =
  | 'InvalidChangeBatch'
  | 'InvalidInput'
  | 'InvalidDomainName'
  | 'Throttling'
  | 'PriorRequestNotComplete'
  | 'ServiceUnavailable'
  | 'NoSuchHostedZone'
  | 'NoSuchChange'
  | 'HostedZoneNotEmpty'
  | 'HostedZoneAlreadyExists'
  | 'HostedZoneNotPrivate'
  | 'UnknownOperation';

const STATUS: Record<ErrorCode, number> = {
  InvalidChangeBatch: 400,
  InvalidInput: 400,
  InvalidDomainName: 400,
  Throttling: 400,
  PriorRequestNotComplete: 400,
  ServiceUnavailable: 503,
  NoSuchHostedZone: 404,
  NoSuchChange: 404,
  HostedZoneNotEmpty: 400,
  HostedZoneAlreadyExists: 409,
  HostedZoneNotPrivate: 400,
  UnknownOperation: 404,
};

export class ApiError extends Error {
  readonly status: number;
  /** Sender = the caller's fault, Receiver = the service's (as in Route 53's <Type>). */
  readonly type: 'Sender' | 'Receiver';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.status = STATUS[code];
    this.type = this.status >= 500 ? 'Receiver' : 'Sender';
  }
}

/** Route 53's one-message form of a list of change-batch problems. */
export function invalidChangeBatch(messages: readonly string[]): ApiError {
  return new ApiError('InvalidChangeBatch', `[${messages.join(', ')}]`);
}

/** The messages back out of an InvalidChangeBatch message ("[a, b]"), for callers and tests. */
export function invalidChangeBatchMessages(message: string): string[] {
  const inner = message.startsWith('[') && message.endsWith(']') ? message.slice(1, -1) : message;
  // Messages themselves contain ", " (e.g. "[name='x.', type='A']"), so split only before the
  // known message openings.
  return inner.split(/, (?=Tried to |RRSet |Invalid Resource Record|FATAL problem|Duplicate Resource Record|The request contains|Number of records|RDATA character|A HostedZone|Exceeded limit|Invalid wildcard)/);
}

export const MESSAGES = {
  throttling: 'Rate exceeded',
  priorRequest: 'The request was rejected because Route 53 was still processing a prior request.',
  serviceUnavailable: 'Service Unavailable',
  noSuchZone: (id: string) => `No hosted zone found with ID: ${id}`,
  noSuchChange: (id: string) => `A change with the specified change ID does not exist: ${id}`,
};
