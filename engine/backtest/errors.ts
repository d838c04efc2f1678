/** One problem with a backtest request, located by path (as zod reports it). */
export interface BacktestIssue {
  path: (string | number)[];
  message: string;
}

/** A backtest request the engine cannot run: unknown strategy, bad parameters, bad options. */
export class BacktestInputError extends Error {
  override readonly name = 'BacktestInputError';
  readonly issues: BacktestIssue[];

  constructor(message: string, issues: BacktestIssue[] = []) {
    super(message);
    this.issues = issues;
  }
}

/** zod issues → {@link BacktestIssue}s under a path prefix. */
export function toIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  prefix: (string | number)[] = [],
): BacktestIssue[] {
  return issues.map((i) => ({
    path: [...prefix, ...i.path.map((p) => (typeof p === 'number' ? p : String(p)))],
    message: i.message,
  }));
}
