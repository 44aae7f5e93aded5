import { GatewayError } from '../../src/shared/errors.ts';

/** The GatewayError a promise rejects with (anything else fails the test). */
export async function gatewayError(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  throw new Error('expected a GatewayError');
}
