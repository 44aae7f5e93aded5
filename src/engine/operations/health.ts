import { GatewayError } from '../../shared/errors.ts';
import type { Operation } from './operation.ts';

/** Liveness, and readiness for a balancer: a replica shutting down answers 503 so no new request is sent to it. */
export const health: Operation<'health'> = async (_input, _ctx, services) => {
  if (services.lifecycle?.draining) {
    throw new GatewayError('draining', 'This replica is shutting down; retry, another replica will answer.');
  }
  return { status: 'ok' };
};
