/** Who is calling. Every authenticated caller is the operator until the OAuth 2.1 issue adds per-user principals. */
export interface Principal {
  id: string;
  kind: 'operator' | 'user';
}

export const OPERATOR: Principal = Object.freeze({ id: 'operator', kind: 'operator' });
