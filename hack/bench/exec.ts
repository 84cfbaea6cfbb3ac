/**
 * Exec hooks per second at the configured concurrency. Exec hooks (issue #7) are not in this branch yet: the
 * figure is reported as not available rather than measured on something else.
 */
export type ExecFigure =
  | {
      readonly available: true;
      readonly concurrency: number;
      readonly hooks: number;
      readonly hooksPerSecond: readonly number[];
    }
  | { readonly available: false; readonly reason: string };

export function execHooksFigure(): Promise<ExecFigure> {
  return Promise.resolve({ available: false, reason: 'exec hooks not available' });
}
