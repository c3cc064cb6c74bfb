#!/usr/bin/env node
// A partner organisation's system, in one file: it listens for changes to the initiatives
// its organisation takes part in (a subscription over /graphql/ws, graphql-transport-ws,
// with the token in connection_init) and reports a status with `syncInitiatives` (plain
// fetch, an idempotency key, `matchBy: CODE`, `asOf`, `expectedVersion`). It exits 0 only
// when the subscription has delivered the change its own sync made.
//
// What it shows, in order (docs/partner.md explains each step):
//   1. `me`: which organisation the token speaks for;
//   2. one initiative that organisation takes part in, with its `version`;
//   3. the subscription opened first, then the change feed read to its end: a change
//      committed meanwhile is in one or the other, so none is missed;
//   4. the sync, then the same call again with the same key: `replayed: true`;
//   5. the subscription's event for the change.
//
// Run (Node.js 20 or later; a token with the editor role of a participating organisation):
//   npm ci --prefix examples/node
//   TOKEN=$(regiograaf token --org zilveren-kruis --role editor)
//   node examples/node/partner.mjs --url http://127.0.0.1:8080 --token "$TOKEN"
// The token may also come from REGIOGRAAF_TOKEN.

import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8080' },
    token: { type: 'string', default: process.env.REGIOGRAAF_TOKEN },
    timeout: { type: 'string', default: '15' },
    settle: { type: 'string', default: '300' },
  },
});
if (!args.token) {
  console.error('partner.mjs: give --token (or REGIOGRAAF_TOKEN): writing needs an editor token');
  process.exit(2);
}
const base = args.url.replace(/\/+$/, '').replace(/\/graphql$/, '');
const authorization = `Bearer ${args.token}`;

/** The operations are kept as .graphql files so schema-check.mjs can validate them. */
const operation = (name) =>
  readFileSync(new URL(`../operations/${name}.graphql`, import.meta.url), 'utf8');

/** POSTs one operation; throws on any GraphQL error, with its extensions.code. */
async function graphql(document, variables = {}) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      authorization,
    },
    body: JSON.stringify({ query: document, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) {
    const [first] = body.errors;
    throw new Error(`HTTP ${response.status} ${first.extensions?.code}: ${first.message}`);
  }
  return body.data;
}

// 1. Who am I?
const { me } = await graphql(operation('me'));
if (!me.organisation) throw new Error('the token speaks for no organisation');
const org = me.organisation.code;
console.log(`1. token: ${me.organisation.name} (${org}) as ${me.role}`);

// 2. An initiative we take part in.
const mine = await graphql(operation('my-initiative'), { party: org });
const initiative = mine.initiatives.nodes[0];
if (!initiative) throw new Error(`${org} takes part in no initiative`);
console.log(`2. initiative: ${initiative.code} (status ${initiative.status}, version ${initiative.version})`);

// 3. Subscribe first, then catch up with the change feed: whatever is committed while the
//    subscription starts is then in one of the two, and applying events is idempotent
//    (each carries the record as it is now). graphql-ws needs a WebSocket implementation
//    on Node 20. The service gives no acknowledgement that a subscription is active, and
//    it currently starts every subscription from "now" even when `after` is given, so the
//    script waits a moment after connection_ack before it writes.
const ws = createClient({
  url: `${base.replace(/^http/, 'ws')}/graphql/ws`,
  webSocketImpl: WebSocket,
  connectionParams: { authorization },
  retryAttempts: 0,
});
const connected = new Promise((resolve) => ws.on('connected', resolve));
const events = [];
let notify = () => {};
const subscriptionDone = new Promise((resolve, reject) => {
  ws.subscribe(
    { query: operation('initiative-changes'), variables: { party: org } },
    {
      next: (message) => {
        if (message.errors) return reject(new Error(JSON.stringify(message.errors)));
        events.push(message.data.initiativeChanges);
        notify();
      },
      error: reject,
      complete: resolve,
    },
  );
});
subscriptionDone.catch((err) => {
  console.error('subscription failed:', err);
  process.exit(1);
});
await connected;
await new Promise((resolve) => setTimeout(resolve, Number(args.settle)));

// The feed from the cursor a real system stored last time (here: from the start).
let cursor = null;
let caughtUp = 0;
for (;;) {
  const { changes } = await graphql(operation('changes'), { after: cursor, first: 1000 });
  caughtUp += changes.events.length;
  cursor = changes.endCursor;
  if (!changes.hasMore) break;
}
console.log(`3. subscribed; change feed read to its end (${caughtUp} events, cursor ${cursor})`);

// 4. Report a new status from "our own system". The key makes a retry of this very call
//    safe; a new report needs a new key.
const status = initiative.status === 'RUNNING' ? 'PLANNED' : 'RUNNING';
const idempotencyKey = `partner-example-${randomUUID()}`;
const item = {
  externalRef: `example-${initiative.code}`,
  code: initiative.code,
  status,
  progressNotes: `Status ${status} gemeld door partner.mjs`,
  note: 'voorbeeldrapportage',
  asOf: new Date().toISOString(),
  expectedVersion: initiative.version,
};
const sync = { items: [item], key: idempotencyKey, match: 'CODE' };
const { syncInitiatives: result } = await graphql(operation('sync-initiatives'), sync);
const [outcome] = result.items;
console.log(
  `4. sync ${idempotencyKey}: ${outcome.outcome}, version ${outcome.version}` +
    ` (created ${result.created}, updated ${result.updated}, refused ${result.refused})`,
);
if (outcome.outcome !== 'UPDATED') {
  throw new Error(`expected UPDATED, got ${JSON.stringify(outcome)}`);
}
const { syncInitiatives: replay } = await graphql(operation('sync-initiatives'), sync);
console.log(`   the same call again: replayed ${replay.replayed}, outcome ${replay.items[0].outcome}`);
if (!replay.replayed) throw new Error('the retry with the same key was not a replay');

// 5. Wait for the subscription to deliver our own change.
const ours = (e) =>
  e.operation === 'UPSERT' && e.recordId === outcome.initiativeId && e.initiative?.version >= outcome.version;
const deadline = Date.now() + Number(args.timeout) * 1000;
while (!events.some(ours) && Date.now() < deadline) {
  await new Promise((resolve) => {
    notify = resolve;
    setTimeout(resolve, 250);
  });
}
await ws.dispose();
const seen = events.find(ours);
if (!seen) {
  console.error(`5. no event for ${initiative.code} within ${args.timeout} s; got ${JSON.stringify(events)}`);
  process.exit(1);
}
console.log(
  `5. subscription: ${seen.operation} ${seen.recordId} ${seen.initiative.code}` +
    ` now ${seen.initiative.status}, version ${seen.initiative.version} (cursor ${seen.cursor})`,
);
process.exit(0);
