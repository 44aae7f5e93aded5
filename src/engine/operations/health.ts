import type { Operation } from './index.ts';

export const health: Operation<'health'> = async () => ({ status: 'ok' });
