#!/usr/bin/env node
// Checks the live schema and our operations with the reference implementation (`graphql`):
// fetches the schema by introspection, rebuilds it with buildClientSchema, checks it with
// assertValidSchema, and validates every operation under examples/ (the .graphql files)
// against it with validate(). Run this in a partner's CI to learn of an incompatible API
// change before production does.
//
// Run (Node.js 20 or later):
//   npm ci --prefix examples/node
//   node examples/node/schema-check.mjs --url http://127.0.0.1:8080 [--token "$TOKEN"]
// Exits 0 when everything is valid, 1 with the problems listed otherwise. A token is needed
// only where the server restricts introspection (--introspection authenticated).

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  assertValidSchema,
  buildClientSchema,
  getIntrospectionQuery,
  parse,
  validate,
} from 'graphql';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8080' },
    token: { type: 'string', default: process.env.REGIOGRAAF_TOKEN },
  },
});
const base = args.url.replace(/\/+$/, '').replace(/\/graphql$/, '');

const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
if (args.token) headers.authorization = `Bearer ${args.token}`;
// typeDepth: the default introspection query nests `ofType` 9 levels deep, which the
// server's depth limit (12) refuses with DEPTH_LIMIT. The deepest type reference in this
// schema is `[SyncInitiativeInput!]!` (3 levels); buildClientSchema fails loudly should a
// deeper one ever appear, so 4 is enough and safe.
const introspection = getIntrospectionQuery({ descriptions: true, typeDepth: 4 });
const response = await fetch(`${base}/graphql`, {
  method: 'POST',
  headers,
  body: JSON.stringify({ query: introspection }),
});
const body = await response.json();
if (body.errors?.length || !body.data) {
  console.error(`introspection failed (HTTP ${response.status}):`, JSON.stringify(body.errors));
  process.exit(1);
}
const schema = buildClientSchema(body.data);
assertValidSchema(schema); // throws with every problem of the schema itself
const types = Object.keys(schema.getTypeMap()).filter((t) => !t.startsWith('__'));
console.log(`schema: valid, ${types.length} types`);

/** Every .graphql file under `dir`, node_modules left out. */
function graphqlFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : graphqlFiles(path);
    return entry.name.endsWith('.graphql') ? [path] : [];
  });
}

const examples = fileURLToPath(new URL('..', import.meta.url));
const files = graphqlFiles(examples).sort();
let problems = 0;
for (const file of files) {
  const name = relative(examples, file);
  let document;
  try {
    document = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    console.error(`${name}: does not parse: ${err.message}`);
    problems += 1;
    continue;
  }
  const errors = validate(schema, document);
  for (const err of errors) {
    const at = err.locations?.map((l) => `${l.line}:${l.column}`).join(', ') ?? '';
    console.error(`${name}:${at}: ${err.message}`);
  }
  problems += errors.length;
  const operations = document.definitions
    .filter((d) => d.kind === 'OperationDefinition')
    .map((d) => `${d.operation} ${d.name?.value ?? '(anonymous)'}`);
  console.log(`${name}: ${errors.length ? 'INVALID' : 'valid'} (${operations.join(', ')})`);
}
if (files.length === 0) {
  console.error('no .graphql files found under examples/');
  process.exit(1);
}
console.log(`${files.length} documents, ${problems} problems`);
process.exit(problems ? 1 : 0);
