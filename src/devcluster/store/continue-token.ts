import { errors } from '../api/errors.ts';

/** The state a list continue token carries: the list's resourceVersion and the last key returned. */
export interface ContinueState {
  readonly rv: number;
  readonly after: string;
}

export function encodeContinue(state: ContinueState): string {
  return Buffer.from(JSON.stringify({ v: 'devcluster/v1', rv: state.rv, start: state.after })).toString(
    'base64url',
  );
}

export function decodeContinue(token: string): ContinueState {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (parsed.v === 'devcluster/v1' && typeof parsed.rv === 'number' && typeof parsed.start === 'string')
      return { rv: parsed.rv, after: parsed.start };
  } catch {
    // fall through to the error below
  }
  throw errors.badRequest(
    'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
  );
}
