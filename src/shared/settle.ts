/**
 * Promise.all that waits for every promise before failing with the first rejection (in argument order). With
 * Promise.all, an operation could answer its error while a sibling Notion call was still in flight, a write landing
 * after the caller was told the request failed.
 */
export async function allSettledOrThrow<T extends readonly unknown[]>(
  promises: readonly [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
