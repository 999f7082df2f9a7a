import type { PartsRepository } from "./parts-contract.ts";

export type RepositoryOperation = keyof PartsRepository;

/** Told of every repository call when it settles: how long it took and whether it failed (the API's metrics). */
export type QueryObserver = (operation: RepositoryOperation, seconds: number, failed: boolean) => void;

/** A repository method as an engine writes it: answering at once (SQLite's reads) or with a promise. */
type EngineMethod<M> = M extends (...args: infer A) => Promise<infer R> ? (...args: A) => R | Promise<R> : never;
export type EngineMethods = { [K in RepositoryOperation]: EngineMethod<PartsRepository[K]> };

type Method = (a?: unknown, b?: unknown, c?: unknown) => unknown;

/** The method as the contract has it: always a promise; a synchronous throw becomes a rejection. */
function promised(method: Method) {
  return (a?: unknown, b?: unknown, c?: unknown): Promise<unknown> => {
    try {
      // A promise is returned as it is: no extra turn for the caller.
      return Promise.resolve(method(a, b, c));
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

const secondsSince = (started: number) => (performance.now() - started) / 1000;

/**
 * The method timed until it settles. An answer given at once is timed at once, with no promise work: a `.then`
 * on every call's promise (the metrics' first decorator) cost the bench several per cent of a cached
 * `parts.byId` (bench/README.md, "What observability costs"). A promise is timed on a side branch.
 */
function observed(operation: RepositoryOperation, method: Method, observe: QueryObserver) {
  return (a?: unknown, b?: unknown, c?: unknown): Promise<unknown> => {
    const started = performance.now();
    let answer: unknown;
    try {
      answer = method(a, b, c);
    } catch (error) {
      observe(operation, secondsSince(started), true);
      return Promise.reject(error);
    }
    if (!(answer instanceof Promise)) {
      observe(operation, secondsSince(started), false);
      return Promise.resolve(answer);
    }
    answer.then(
      () => observe(operation, secondsSince(started), false),
      () => observe(operation, secondsSince(started), true),
    );
    return answer;
  };
}

/**
 * A repository from an engine's methods (each takes at most three arguments), each call told to `observe` when
 * one is given. Engines answer synchronously where they can (SQLite reads run on the calling thread), so that
 * observing them costs two clock reads and no promise.
 */
export function repositoryOf(methods: EngineMethods, observe: QueryObserver | undefined): PartsRepository {
  const repository: Partial<Record<RepositoryOperation, unknown>> = {};
  for (const operation of Object.keys(methods) as RepositoryOperation[]) {
    const method = methods[operation] as Method;
    repository[operation] = observe === undefined ? promised(method) : observed(operation, method, observe);
  }
  return repository as PartsRepository;
}
