import { randomBytes } from 'node:crypto';
import type { UserInfo } from '../api/types.ts';
import { errors } from '../api/errors.ts';

export const ANONYMOUS: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };
export const ADMIN: UserInfo = {
  username: 'kubernetes-admin',
  groups: ['system:masters', 'system:authenticated'],
};

/** The user a service account's token authenticates as. */
export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return {
    username: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  };
}

/** Static bearer tokens, like kube-apiserver's --token-auth-file. */
export class TokenAuthenticator {
  readonly #users = new Map<string, UserInfo>();

  /** Creates a new random token for `user`. */
  mint(user: UserInfo): string {
    const token = randomBytes(24).toString('base64url');
    this.#users.set(token, user);
    return token;
  }

  revoke(token: string): void {
    this.#users.delete(token);
  }

  /** The user of an Authorization header; anonymous without one; throws 401 for an unknown or malformed one. */
  authenticate(authorization: string | undefined): UserInfo {
    if (authorization === undefined || authorization === '') return ANONYMOUS;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    const user = m ? this.#users.get(m[1]!) : undefined;
    if (!user) throw errors.unauthorized();
    return user;
  }
}
