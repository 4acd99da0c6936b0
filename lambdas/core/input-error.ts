/** A problem with user input: the message names the input and what is wrong with it. */
export class InputError extends Error {
  constructor(
    message: string,
    /** The request field the problem is in, when known (e.g. "network", "items[3].reason"). */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'InputError';
  }
}
