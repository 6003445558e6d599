// Composes gateway/supergraph.graphql from the committed SDL of each subgraph.
//   node compose.mjs           write supergraph.graphql
//   node compose.mjs --check   exit 1 when the committed supergraph is stale
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import { composeServices } from '@theguild/federation-composition';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

// The URLs are the local defaults; the gateway overrides them per environment
// (transportEntries in gateway.config.ts), so the supergraph does not change between hosts.
export const SUBGRAPHS = [
  { name: 'organizations', url: 'http://127.0.0.1:4001/graphql' },
  { name: 'activities', url: 'http://127.0.0.1:4002/graphql' },
  { name: 'evaluation', url: 'http://127.0.0.1:4003/graphql' },
];

const result = composeServices(
  SUBGRAPHS.map(({ name, url }) => ({
    name,
    url,
    typeDefs: parse(readFileSync(join(root, 'services', name, 'schema.graphql'), 'utf8')),
  })),
);

if (result.errors?.length) {
  for (const error of result.errors) console.error(`composition error: ${error.message}`);
  process.exit(1);
}

const target = join(here, 'supergraph.graphql');
const supergraph = result.supergraphSdl.trimEnd() + '\n';
if (process.argv.includes('--check')) {
  let committed = '';
  try { committed = readFileSync(target, 'utf8'); } catch { /* missing counts as stale */ }
  if (committed !== supergraph) {
    console.error('gateway/supergraph.graphql is stale: run `make compose` and commit it');
    process.exit(1);
  }
  console.log('supergraph.graphql is up to date');
} else {
  writeFileSync(target, supergraph);
  console.log(`wrote ${target}`);
}
