// Hive Gateway: serves the composed supergraph, verifies the caller's JWT, forwards it to the
// subgraphs (which verify it again), and reaches subgraph subscriptions over WebSocket.
import {
  createInlineSigningKeyProvider,
  createRemoteJwksSigningKeyProvider,
  defineConfig,
  extractFromHeader,
} from '@graphql-hive/gateway';
import { unifiedGraphHandler as routerRuntime } from '@graphql-hive/router-runtime';
import { createSecretKey } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { maskError } from 'graphql-yoga';
import { useFileLinks } from './files.ts';
import { useRequestLimits } from './limits.ts';

const env = process.env;
// Production unless told otherwise: a missing variable never turns the hardening off.
const production = env.ENVIRONMENT !== 'development';
// Sent to every subgraph call: only requests carrying it may ask _entities and _service.
const gatewaySecret = env.GATEWAY_SECRET ?? '';
if (production && gatewaySecret.length < 32) {
  throw new Error('set GATEWAY_SECRET (32+ characters, shared with the subgraphs) in production');
}
const secret = env.JWT_SECRET ?? '';
const jwksUrl = env.JWT_JWKS_URL ?? '';
if (!secret && !jwksUrl) {
  throw new Error('set JWT_SECRET (HS256, development) or JWT_JWKS_URL (production)');
}

// The JWT plugin's own errors carry no code; clients branch on extensions.code, so they get
// UNAUTHENTICATED on HTTP and WebSocket alike. Everything else is masked as yoga does.
const AUTH_ERRORS = new Set([
  'Unauthenticated',
  'Invalid authentication token provided',
  'Invalid JWT authentication token prefix.',
  'Authentication header was set, but token is missing.',
]);
const AUTH_MESSAGE = '请先登录：缺少或无效的令牌 / Sign in first: the token is missing or invalid';

function maskGatewayError(error: unknown, message: string, isDev?: boolean): Error {
  if (error instanceof Error && AUTH_ERRORS.has(error.message)) {
    const http = (error as GraphQLError).extensions?.http;
    return new GraphQLError(AUTH_MESSAGE, { extensions: { code: 'UNAUTHENTICATED', http } });
  }
  return maskError(error, message, isDev);
}

// Browsers cannot set headers on a WebSocket: they send {"authorization": "Bearer …"} in
// connectionParams. (extractFromConnectionParams would keep the "Bearer " prefix in the token.)
function tokenFromConnectionParams({ serverContext }: { serverContext?: unknown }) {
  const params = (serverContext as { connectionParams?: Record<string, unknown> })?.connectionParams;
  const value = params?.authorization ?? params?.Authorization;
  if (typeof value !== 'string') return undefined;
  return { prefix: 'Bearer', token: value.replace(/^Bearer\s+/i, '') };
}

// In production, validation errors do not spell out the schema one "Did you mean …?" at a time
// (introspection is off there; suggestions would undo that).
const SUGGESTION = /\s*Did you mean [^?]*\?/g;
function useNoSuggestions() {
  return {
    onValidate() {
      return ({ valid, result, setResult }: {
        valid: boolean;
        result: readonly GraphQLError[];
        setResult: (errors: GraphQLError[]) => void;
      }) => {
        if (valid) return;
        setResult(
          result.map((error) =>
            error.message.includes('Did you mean')
              ? new GraphQLError(error.message.replace(SUGGESTION, ''), {
                  nodes: error.nodes,
                  extensions: error.extensions,
                })
              : error,
          ),
        );
      };
    },
  };
}

// One id per client request (the client's own x-request-id when it sends a sane one), passed to
// every subgraph call it makes, so the audit rows of one request can be found together.
const requestIds = new WeakMap<Request, string>();
function requestIdOf(request: Request): string {
  let id = requestIds.get(request);
  if (!id) {
    const sent = request.headers.get('x-request-id') ?? '';
    id = /^[A-Za-z0-9_-]{8,64}$/.test(sent) ? sent : crypto.randomUUID().replaceAll('-', '');
    requestIds.set(request, id);
  }
  return id;
}

const subgraph = (name: string, fallback: string) => env[`${name.toUpperCase()}_URL`] ?? fallback;
const subgraphs = {
  organizations: subgraph('organizations', 'http://127.0.0.1:4001/graphql'),
  activities: subgraph('activities', 'http://127.0.0.1:4002/graphql'),
  evaluation: subgraph('evaluation', 'http://127.0.0.1:4003/graphql'),
};
const bearer = 'Bearer {context.jwt.token.value}';
// Identical concurrent subgraph calls are merged by default; benchmarks turn that off so that
// every request is measured.
const deduplicateInflightRequests = env.GATEWAY_DEDUPLICATE !== 'false';

// Query planning and execution by Hive Router's planner (Rust, in the npm package) rather than
// the default runtime: the gateway's CPU per street dashboard 16 → 8 ms (bench/dashboard.py).
// GATEWAY_ROUTER_RUNTIME=false goes back to the default, to compare.
const useRouterRuntime = env.GATEWAY_ROUTER_RUNTIME !== 'false';

export const gatewayConfig = defineConfig({
  supergraph: env.SUPERGRAPH_PATH ?? './supergraph.graphql',
  ...(useRouterRuntime ? { unifiedGraphHandler: routerRuntime } : {}),
  host: env.GATEWAY_HOST ?? '127.0.0.1',
  port: Number(env.GATEWAY_PORT ?? 4000),
  graphiql: !production,
  landingPage: false,
  maskedErrors: { maskError: maskGatewayError },
  jwt: {
    signingKeyProviders: [
      jwksUrl
        ? createRemoteJwksSigningKeyProvider({ jwksUri: jwksUrl })
        : // A KeyObject, made once: given the string, jsonwebtoken tries (and fails) to parse it
          // as a public key on every request before taking it as a secret (~7 % of the
          // gateway's CPU on a dashboard, bench/dashboard.py --profile).
          createInlineSigningKeyProvider(createSecretKey(Buffer.from(secret)) as unknown as string),
    ],
    tokenLookupLocations: [
      extractFromHeader({ name: 'authorization', prefix: 'Bearer' }),
      tokenFromConnectionParams,
    ],
    tokenVerification: {
      algorithms: jwksUrl ? ['RS256', 'ES256'] : ['HS256'],
      issuer: env.JWT_ISSUER ?? 'gongjian',
    },
    // A missing token goes on to the subgraphs, which answer UNAUTHENTICATED with a typed error;
    // a bad or expired one stops here.
    reject: { missingToken: false, invalidToken: true },
  },
  propagateHeaders: {
    fromClientToSubgraphs({ request }) {
      const headers: Record<string, string> = { 'x-request-id': requestIdOf(request) };
      const authorization = request.headers.get('authorization');
      if (authorization) headers.authorization = authorization;
      if (gatewaySecret) headers['x-gongjian-gateway'] = gatewaySecret;
      return headers;
    },
  },
  transportEntries: {
    organizations: {
      location: subgraphs.organizations,
      options: { deduplicateInflightRequests },
    },
    activities: {
      location: subgraphs.activities,
      options: { deduplicateInflightRequests },
    },
    evaluation: {
      location: subgraphs.evaluation,
      options: {
        deduplicateInflightRequests,
        subscriptions: {
          kind: 'ws',
          location: subgraphs.evaluation,
          // One upstream socket per token, so each subscription runs as its caller.
          options: { connectionParams: { authorization: bearer } },
        },
      },
    },
  },
  // Limits on body size, tokens, depth, aliases, directives, repeated fields and estimated cost,
  // in every environment (limits.ts): one oversized document would otherwise stall the gateway
  // for every caller. They replace the built-in maxTokens/maxDepth, whose errors carry no code.
  // Download links (files.ts): GET /files/<service>/… goes to that service unchanged.
  plugins: () => [
    useFileLinks(subgraphs, requestIdOf),
    useRequestLimits(),
    ...(production ? [useNoSuggestions()] : []),
  ],
  disableIntrospection: production ? { disableIf: () => true } : undefined,
});
