/** Follows the sandbox's auto-approving authorize endpoint and returns the callback parameters. */
export async function authorize(
  authorizeUrl: string,
  extra: Record<string, string> = {},
): Promise<{ code: string | null; state: string | null; error: string | null; location: URL }> {
  const url = new URL(authorizeUrl);
  for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
  const res = await fetch(url, { redirect: 'manual' });
  if (res.status !== 302) throw new Error(`authorize answered ${res.status}: ${await res.text()}`);
  const location = new URL(res.headers.get('location')!);
  return {
    code: location.searchParams.get('code'),
    state: location.searchParams.get('state'),
    error: location.searchParams.get('error'),
    location,
  };
}
