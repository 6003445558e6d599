// Download links on the gateway's public address: GET /files/<service>/… is passed unchanged
// (path and query string) to that service's own /files/<service>/…, and its answer is streamed
// back with its headers. The gateway checks nothing itself: the link's signature is the
// credential, and the service that signed it verifies it (gongjian_kit.files) before it looks
// anything up. An unknown service is a 404; a service that cannot be reached, a 502.

type FetchAPI = { fetch: typeof fetch; Response: typeof Response; Headers: typeof Headers };

const FILES = /^\/files\/([a-z][a-z0-9-]*)\//;
// Hop-by-hop headers belong to one connection, not to the answer.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'trailer',
  'te',
]);
// Headers a service may need from the client (never its token or cookies: the link is enough).
const FORWARDED = ['accept', 'if-none-match', 'if-modified-since', 'user-agent'];
// Until the service's headers arrive; the body then streams for as long as the client reads.
const HEADERS_TIMEOUT_MS = 30_000;

function jsonError(fetchAPI: FetchAPI, status: number, code: string, message: string): Response {
  return new fetchAPI.Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

/** Pass /files/<service>/… to the service named in the path; `subgraphs` maps names to their
 * GraphQL URLs (…/graphql), whose base is where the service serves /files. */
export function useFileLinks(subgraphs: Record<string, string>, requestIdOf: (request: Request) => string) {
  const bases = new Map(
    Object.entries(subgraphs).map(([name, url]) => [name, url.replace(/\/graphql\/?$/, '')]),
  );
  return {
    async onRequest({
      request,
      url,
      fetchAPI,
      endResponse,
    }: {
      request: Request;
      url: URL;
      fetchAPI: FetchAPI;
      endResponse: (response: Response) => void;
    }) {
      if (!url.pathname.startsWith('/files/')) return;
      const base = bases.get(FILES.exec(url.pathname)?.[1] ?? '');
      if (!base) {
        endResponse(jsonError(fetchAPI, 404, 'NOT_FOUND', '文件不存在 / No such file'));
        return;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        const refused = jsonError(fetchAPI, 405, 'METHOD_NOT_ALLOWED', '只能下载 / Download only (GET)');
        refused.headers.set('allow', 'GET, HEAD');
        endResponse(refused);
        return;
      }
      const headers = new fetchAPI.Headers({ 'x-request-id': requestIdOf(request) });
      for (const name of FORWARDED) {
        const value = request.headers.get(name);
        if (value) headers.set(name, value);
      }
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), HEADERS_TIMEOUT_MS);
      let upstream: Response;
      try {
        upstream = await fetchAPI.fetch(base + url.pathname + url.search, {
          method: request.method,
          headers,
          redirect: 'manual',
          signal: abort.signal,
        });
      } catch {
        endResponse(
          jsonError(fetchAPI, 502, 'BAD_GATEWAY', '文件服务暂时不可用 / The file service is unavailable'),
        );
        return;
      } finally {
        clearTimeout(timer);
      }
      const answer = new fetchAPI.Headers();
      upstream.headers.forEach((value, name) => {
        if (!HOP_BY_HOP.has(name)) answer.set(name, value);
      });
      // fetch has already decoded a compressed body: its length and encoding no longer hold.
      if (answer.has('content-encoding')) {
        answer.delete('content-encoding');
        answer.delete('content-length');
      }
      endResponse(
        new fetchAPI.Response(request.method === 'HEAD' ? null : upstream.body, {
          status: upstream.status,
          statusText: upstream.statusText,
          headers: answer,
        }),
      );
    },
  };
}
