import { ApiFailure, failureFrom } from './api-error';

export interface RequestOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Non-2xx statuses whose body is still the answer (e.g. 503 from a health check). */
  accept?: number[];
}

/**
 * Authenticated calls to the platform. The key travels only in the Authorization header.
 * A 401 anywhere calls `onUnauthorized` once, so the app can return to sign-in.
 */
export class HttpClient {
  #key: string;
  #onUnauthorized: () => void;
  #onReachable: (reachable: boolean) => void;

  constructor(
    key: string,
    onUnauthorized: () => void = () => {},
    onReachable: (reachable: boolean) => void = () => {},
  ) {
    this.#key = key;
    this.#onUnauthorized = onUnauthorized;
    this.#onReachable = onReachable;
  }

  async fetch(path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#key}`, ...options.headers };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let res: Response;
    try {
      res = await fetch(path, {
        method: options.method ?? 'GET',
        headers,
        body,
        signal: options.signal,
        cache: 'no-store',
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') throw err;
      this.#onReachable(false);
      throw new ApiFailure('offline', 0, 'Cannot reach the server.');
    }
    // A gateway error means the Worker itself is unreachable behind a proxy.
    this.#onReachable(res.status !== 502 && res.status !== 504);
    if (!res.ok && !options.accept?.includes(res.status)) {
      const failure = await failureFrom(res);
      if (failure.kind === 'unauthorized') this.#onUnauthorized();
      throw failure;
    }
    return res;
  }

  async json(path: string, options: RequestOptions = {}): Promise<unknown> {
    const res = await this.fetch(path, options);
    return res.status === 204 ? null : res.json();
  }

  async text(path: string, options: RequestOptions = {}): Promise<string> {
    return (await this.fetch(path, options)).text();
  }
}
