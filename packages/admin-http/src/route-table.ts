/**
 * One endpoint: a path pattern of literal segments and `:name` parameters (each matching one
 * non-empty segment), and a handler per HTTP method.
 */
export interface Route<Handler> {
  readonly pattern: string;
  readonly methods: Readonly<Partial<Record<string, Handler>>>;
}

/** What {@link matchRoute} found for a request. */
export type RouteMatch<Handler> =
  | { readonly status: 'found'; readonly handler: Handler; readonly params: Readonly<Record<string, string>> }
  /** The path exists but not with this method; `allowed` is the `Allow` header's list. */
  | { readonly status: 'method-not-allowed'; readonly allowed: readonly string[] }
  | { readonly status: 'not-found' }
  /** A parameter is not valid percent-encoding; `parameter` names it. */
  | { readonly status: 'bad-parameter'; readonly parameter: string; readonly raw: string };

/**
 * Finds the route for a method and path (the path without its query string). The first route whose
 * pattern matches wins; parameters are percent-decoded. `HEAD` is served by a route's `GET` handler.
 * Pure: no I/O, so the routing rules are unit-tested apart from the server.
 */
export function matchRoute<Handler>(
  routes: readonly Route<Handler>[],
  method: string,
  path: string,
): RouteMatch<Handler> {
  const segments = path.split('/');
  for (const route of routes) {
    const raw = matchPattern(route.pattern, segments);
    if (raw === undefined) continue;
    const handler = route.methods[method] ?? (method === 'HEAD' ? route.methods.GET : undefined);
    if (handler === undefined) return { status: 'method-not-allowed', allowed: allowedMethods(route) };
    const params: Record<string, string> = {};
    for (const [name, value] of Object.entries(raw)) {
      try {
        params[name] = decodeURIComponent(value);
      } catch {
        return { status: 'bad-parameter', parameter: name, raw: value };
      }
    }
    return { status: 'found', handler, params };
  }
  return { status: 'not-found' };
}

function matchPattern(pattern: string, segments: readonly string[]): Record<string, string> | undefined {
  const parts = pattern.split('/');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index] as string;
    const segment = segments[index] as string;
    if (part.startsWith(':')) {
      if (segment.length === 0) return undefined;
      params[part.slice(1)] = segment;
    } else if (part !== segment) {
      return undefined;
    }
  }
  return params;
}

function allowedMethods<Handler>(route: Route<Handler>): string[] {
  const methods = Object.keys(route.methods).filter((method) => route.methods[method] !== undefined);
  if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD');
  return methods;
}
