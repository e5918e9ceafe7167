import type { z } from 'zod';

/** Something wrong with one configuration file: the file (as the operator sees it), the field path and what is wrong. */
export type ConfigProblem = { file: string; path: string; message: string };

/** A field path the way operators write it (and the API reports it): `steps[0].request.url`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}

/** One line per problem: `acme/actions/check_order.yaml: steps[0].request.url: must start with http:// or https://`. */
export function describeProblem(problem: ConfigProblem): string {
  return problem.path ? `${problem.file}: ${problem.path}: ${problem.message}` : `${problem.file}: ${problem.message}`;
}

/** The problems a schema found in a file's value, each naming its field (unknown fields one by one). */
export function issueProblems(file: string, error: z.ZodError, prefix: readonly PropertyKey[] = []): ConfigProblem[] {
  return error.issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ file, path: formatPath([...path, key]), message: 'unknown field' }));
    return [{ file, path: formatPath(path), message: issue.message }];
  });
}
