import type { Operation } from './operation.ts';

export const health: Operation<'health'> = async () => ({ status: 'ok' });
