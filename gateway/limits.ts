// Limits on what one request may ask of the gateway, on in every environment (LIMITS below).
//
// graphql-js validates repeated identical fields in quadratic time (OverlappingFieldsCanBeMerged):
// a few thousand copies of one field stall the single-threaded gateway for every caller for
// seconds, and a 5 MB document of them for hours. So nothing big reaches validation:
//   1. the request body is read up to maxBodyBytes and refused beyond (HTTP 413);
//   2. a document's text is at most maxQueryLength characters, and parsing stops at maxTokens;
//   3. right after parsing, one walk of the document refuses too deep a selection, too many
//      aliases or directives, the same field repeated too often in one (merged) selection set,
//      and fragments that expand to too many fields;
//   4. before execution, when the variables are known, the estimated cost (objects the answer
//      may hold, `first` taken at its word) must stay within maxCost.
// Every refusal is a GraphQL error with a Chinese / English message and extensions.code
// (BAD_USER_INPUT, or COST_LIMIT for the cost), and extensions.limit naming the limit.
//
// Hive Gateway's own demandControl was not used for 4: it prices each subgraph call after query
// planning (so a request is refused only once its earlier subgraph calls have run), and it
// ignores `first` unless the subgraphs declare @listSize (Federation 2.9; ours compose at 2.5),
// so `first: 3` and `first: 100` would cost the same. maxTokens/maxDepth built in to the gateway
// give errors without a code, hence 2 and 3 here too.
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  parse,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

export const LIMITS = {
  maxBodyBytes: 256 * 1024,
  // The document text, before parsing: parsed documents and parse errors are cached by their
  // text (1,024 of each), so this bounds that memory too. Dashboards send ~1 KB.
  maxQueryLength: 32 * 1024,
  maxTokens: 4000,
  maxDepth: 12,
  maxAliases: 30, // the subgraphs allow as many
  maxDirectives: 50,
  maxFieldRepeats: 25, // one response key in one merged selection set
  maxFieldVisits: 10_000, // fields walked with fragments expanded
  maxCost: 10_000,
};

// Sizes assumed by the cost estimate: a connection's page when `first` is not given (the
// subgraphs' default), and any other list.
const DEFAULT_PAGE_SIZE = 20;
const ASSUMED_LIST_SIZE = 10;
const MUTATION_COST = 10;

type Limit = keyof typeof LIMITS;

function limitError(
  code: 'BAD_USER_INPUT' | 'COST_LIMIT',
  limit: Limit,
  zh: string,
  en: string,
  found?: number,
  status = 400,
): GraphQLError {
  return new GraphQLError(`${zh} / ${en}`, {
    extensions: {
      code,
      messageZh: zh,
      messageEn: en,
      limit: { name: limit, max: LIMITS[limit], ...(found === undefined ? {} : { found }) },
      http: { status },
    },
  });
}

function tooMuch(limit: Limit, zh: string, en: string, found?: number): GraphQLError {
  return limitError('BAD_USER_INPUT', limit, zh, en, found);
}

// 1. The body -------------------------------------------------------------------------------

type Fetch = { Request: typeof Request; Response: typeof Response };

function bodyTooLarge(fetchAPI: Fetch, found?: number): Response {
  const error = limitError(
    'BAD_USER_INPUT',
    'maxBodyBytes',
    `请求体超过 ${LIMITS.maxBodyBytes} 字节`,
    `The request body exceeds ${LIMITS.maxBodyBytes} bytes`,
    found,
    413,
  );
  const { http: _http, ...extensions } = error.extensions;
  return new fetchAPI.Response(JSON.stringify({ errors: [{ message: error.message, extensions }] }), {
    status: 413,
    headers: { 'content-type': 'application/json; charset=utf-8', connection: 'close' },
  });
}

/** The body, read no further than the limit: a request to hand on, or a 413 response. */
async function limitedRequest(
  request: Request,
  fetchAPI: Fetch,
): Promise<{ request: Request } | { response: Response }> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > LIMITS.maxBodyBytes) return { response: bodyTooLarge(fetchAPI, declared) };
  if (!request.body) return { request };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > LIMITS.maxBodyBytes) {
      await reader.cancel().catch(() => undefined);
      return { response: bodyTooLarge(fetchAPI) };
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return {
    request: new fetchAPI.Request(request.url, {
      method: request.method,
      headers: request.headers,
      body,
    }),
  };
}

// 2 and 3. The document ---------------------------------------------------------------------

type Fragments = Map<string, FragmentDefinitionNode>;

const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

/** One walk of the selection sets the way validation merges them: fields of one response key
 * at one level (through inline fragments and fragment spreads) are compared pairwise by
 * graphql-js, so their number is what must stay small. */
class DocumentWalk {
  visits = 0;
  aliases = 0;
  directives = 0;
  depth = 0;

  constructor(private readonly fragments: Fragments) {}

  walk(sets: readonly SelectionSetNode[], level: number, countDepth: boolean): void {
    if (countDepth && level > this.depth) {
      this.depth = level;
      if (this.depth > LIMITS.maxDepth) {
        throw tooMuch(
          'maxDepth',
          `查询嵌套超过 ${LIMITS.maxDepth} 层`,
          `The query is nested deeper than ${LIMITS.maxDepth} levels`,
          this.depth,
        );
      }
    }
    const byKey = new Map<string, { count: number; sets: SelectionSetNode[]; deep: boolean }>();
    const spread = new Set<string>();
    const visit = (set: SelectionSetNode): void => {
      for (const selection of set.selections) {
        this.directives += selection.directives?.length ?? 0;
        if (selection.kind === Kind.FIELD) {
          this.field(selection, byKey, countDepth);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          visit(selection.selectionSet);
        } else if (!spread.has(selection.name.value)) {
          // A fragment spread twice into one merged set adds nothing to compare.
          spread.add(selection.name.value);
          const fragment = this.fragments.get(selection.name.value);
          if (fragment) {
            this.directives += fragment.directives?.length ?? 0;
            visit(fragment.selectionSet);
          }
        }
      }
    };
    for (const set of sets) visit(set);
    this.checkCounts();
    for (const { sets: children, deep } of byKey.values()) {
      if (children.length) this.walk(children, level + 1, deep);
    }
  }

  private field(
    node: FieldNode,
    byKey: Map<string, { count: number; sets: SelectionSetNode[]; deep: boolean }>,
    countDepth: boolean,
  ): void {
    this.visits += 1;
    if (node.alias) this.aliases += 1;
    const key = node.alias?.value ?? node.name.value;
    let entry = byKey.get(key);
    if (!entry) {
      // Introspection nests types deeply by design; it is not counted against the depth.
      entry = { count: 0, sets: [], deep: countDepth && !INTROSPECTION_ROOTS.has(node.name.value) };
      byKey.set(key, entry);
    }
    entry.count += 1;
    if (entry.count > LIMITS.maxFieldRepeats) {
      throw tooMuch(
        'maxFieldRepeats',
        `同一字段「${key}」在一个选择集中出现超过 ${LIMITS.maxFieldRepeats} 次`,
        `The field "${key}" is selected more than ${LIMITS.maxFieldRepeats} times in one selection set`,
        entry.count,
      );
    }
    if (node.selectionSet) entry.sets.push(node.selectionSet);
  }

  private checkCounts(): void {
    if (this.visits > LIMITS.maxFieldVisits) {
      throw tooMuch(
        'maxFieldVisits',
        `片段展开后字段超过 ${LIMITS.maxFieldVisits} 个`,
        `The document expands to more than ${LIMITS.maxFieldVisits} fields`,
        this.visits,
      );
    }
    if (this.aliases > LIMITS.maxAliases) {
      throw tooMuch(
        'maxAliases',
        `别名超过 ${LIMITS.maxAliases} 个`,
        `The query uses more than ${LIMITS.maxAliases} aliases`,
        this.aliases,
      );
    }
    if (this.directives > LIMITS.maxDirectives) {
      throw tooMuch(
        'maxDirectives',
        `指令超过 ${LIMITS.maxDirectives} 个`,
        `The query uses more than ${LIMITS.maxDirectives} directives`,
        this.directives,
      );
    }
  }
}

/** Refuse a parsed document that would be expensive to validate or too large to answer. */
export function checkDocument(document: DocumentNode): void {
  const fragments: Fragments = new Map();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  let visits = 0;
  for (const definition of document.definitions) {
    // Validation looks at every selection set, used or not: so does this.
    if (definition.kind !== Kind.OPERATION_DEFINITION && definition.kind !== Kind.FRAGMENT_DEFINITION) {
      continue;
    }
    const walk = new DocumentWalk(fragments);
    walk.visits = visits;
    const operation = definition.kind === Kind.OPERATION_DEFINITION;
    if (operation) walk.directives += definition.directives?.length ?? 0;
    walk.walk([definition.selectionSet], 1, operation);
    visits = walk.visits;
  }
}

function checkQueryLength({ params }: { params: { query?: unknown } }): void {
  if (typeof params.query === 'string' && params.query.length > LIMITS.maxQueryLength) {
    throw tooMuch(
      'maxQueryLength',
      `查询文档超过 ${LIMITS.maxQueryLength} 个字符`,
      `The query document is longer than ${LIMITS.maxQueryLength} characters`,
      params.query.length,
    );
  }
}

export function parseWithLimits(source: string | { body: string }, options?: object): DocumentNode {
  let document: DocumentNode;
  try {
    document = parse(source as string, { ...options, maxTokens: LIMITS.maxTokens });
  } catch (error) {
    if (error instanceof GraphQLError && /contains more th\w+ \d+ tokens/.test(error.message)) {
      throw tooMuch(
        'maxTokens',
        `查询文档超过 ${LIMITS.maxTokens} 个词法单元`,
        `The query document has more than ${LIMITS.maxTokens} tokens`,
      );
    }
    throw error;
  }
  checkDocument(document);
  return document;
}

// 4. The cost -------------------------------------------------------------------------------

function numberOf(value: ValueNode | undefined, variables: Record<string, unknown>): number | undefined {
  if (!value) return undefined;
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.VARIABLE) {
    const given = variables[value.name.value];
    return typeof given === 'number' ? given : undefined;
  }
  return undefined;
}

/** The page size a field asks for with `first`, or its default, or undefined for none. */
function firstArgument(
  field: GraphQLField<unknown, unknown>,
  node: FieldNode,
  variables: Record<string, unknown>,
): number | undefined {
  const definition = field.args.find((arg) => arg.name === 'first');
  if (!definition) return undefined;
  const given = numberOf(node.arguments?.find((arg) => arg.name.value === 'first')?.value, variables);
  const fallback = typeof definition.defaultValue === 'number' ? definition.defaultValue : DEFAULT_PAGE_SIZE;
  return Math.max(0, given ?? fallback);
}

/** Estimated objects in the answer: every object (composite value) counts 1, times the sizes
 * of the lists it is in. A connection's `first` sizes the lists right beneath it (its edges);
 * a list field's own `first` sizes it; other lists count ASSUMED_LIST_SIZE. */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown>,
): number {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const operation = operationName
    ? operations.find((o) => o.name?.value === operationName)
    : operations.length === 1
      ? operations[0]
      : undefined;
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return 0;
  const fragments: Fragments = new Map();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  let cost = 0;
  const walk = (
    set: SelectionSetNode,
    parent: GraphQLNamedType | undefined,
    multiplier: number,
    pageSize: number | undefined,
    seen: ReadonlySet<string>,
  ): void => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        walk(selection.selectionSet, type ?? undefined, multiplier, pageSize, seen);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || seen.has(fragment.name.value)) continue;
        const type = schema.getType(fragment.typeCondition.name.value) ?? undefined;
        walk(fragment.selectionSet, type, multiplier, pageSize, new Set([...seen, fragment.name.value]));
        continue;
      }
      if (selection.name.value.startsWith('__')) continue; // introspection and __typename
      if (!parent || !(isObjectType(parent) || isInterfaceType(parent))) continue;
      const field = parent.getFields()[selection.name.value];
      if (!field) continue;
      const first = firstArgument(field, selection, variables);
      const list = isListType(getNullableType(field.type));
      const size = list ? (first ?? pageSize ?? ASSUMED_LIST_SIZE) : 1;
      const named = getNamedType(field.type);
      const objects = multiplier * size;
      if (isCompositeType(named)) cost += objects;
      if (selection.selectionSet) {
        walk(selection.selectionSet, named, objects, list ? undefined : first, seen);
      }
    }
  };
  if (operation.operation === 'mutation') {
    cost += MUTATION_COST * operation.selectionSet.selections.length;
  }
  walk(operation.selectionSet, root, 1, undefined, new Set());
  return cost;
}

export function costError(cost: number): GraphQLError {
  return limitError(
    'COST_LIMIT',
    'maxCost',
    `查询估算规模 ${cost} 超过上限 ${LIMITS.maxCost}：请减少 first 或嵌套的列表`,
    `The query's estimated cost ${cost} exceeds ${LIMITS.maxCost}: ask for fewer items (first) or fewer nested lists`,
    cost,
    200,
  );
}

// The plugin ----------------------------------------------------------------------------------

type ExecuteArgs = {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variableValues?: Record<string, unknown> | null;
};
type StopWith = (result: { errors: GraphQLError[] }) => void;

function costCheck({ args, setResultAndStopExecution }: { args: ExecuteArgs; setResultAndStopExecution: StopWith }) {
  const cost = operationCost(args.schema, args.document, args.operationName, args.variableValues ?? {});
  if (cost > LIMITS.maxCost) setResultAndStopExecution({ errors: [costError(cost)] });
}

/** The gateway plugin that applies every limit above. */
export function useRequestLimits() {
  return {
    onRequestParse({
      request,
      requestParser,
      setRequestParser,
      fetchAPI,
    }: {
      request: Request;
      requestParser?: (request: Request) => unknown;
      setRequestParser: (parser: (request: Request) => unknown) => void;
      fetchAPI: Fetch;
    }) {
      // The built-in parsers (JSON, multipart, form) are chosen by now: each gets the body
      // only once it is known to be within the limit.
      if (request.method !== 'POST' || !requestParser) return;
      setRequestParser(async (incoming: Request) => {
        const limited = await limitedRequest(incoming, fetchAPI);
        return 'response' in limited ? limited.response : requestParser(limited.request);
      });
    },
    onParams: checkQueryLength,
    onParse({ setParseFn }: { setParseFn: (fn: typeof parseWithLimits) => void }) {
      setParseFn(parseWithLimits);
    },
    onExecute: costCheck,
    onSubscribe: costCheck,
  };
}
