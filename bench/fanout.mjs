// Subscription fan-out: SUBSCRIBERS clients subscribe to one region's initiative changes over
// graphql-transport-ws, then one writer changes EVENTS initiatives one after another; every
// subscriber must see every change. Prints one JSON object: deliveries, the latency from the
// write's start to each delivery (p50, p99, max), and the deliveries per second.
//
//   node --experimental-websocket bench/fanout.mjs URL TOKEN REGION IDS SUBSCRIBERS EVENTS
//
// URL is the GraphQL endpoint (http://...); IDS a comma-separated list of initiative ids the
// token may edit. Node 20 has WebSocket behind the flag, Node 22 without it: no packages.
const [url, token, region, idList, subscribers = '100', events = '50'] = process.argv.slice(2);
const ids = idList.split(',');
const wsUrl = url.replace(/^http/, 'ws') + '/ws';
const subscription = `subscription($region: String) { initiativeChanges(region: $region) { operation recordId initiative { code status } } }`;
const STATUSES = ['IDEA', 'PLANNED', 'RUNNING', 'COMPLETED', 'STOPPED'];

const started = new Map(); // recordId+status -> write start (ms)
const latencies = [];
let deliveries = 0;
let lastDelivery = 0;

function subscribe() {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    socket.onopen = () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    socket.onerror = (e) => reject(new Error(`websocket: ${e.message ?? e.type}`));
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: subscription, variables: { region } } }));
        // The server confirms nothing on subscribe: give it a moment to register.
        setTimeout(() => resolve(socket), 50);
      } else if (data.type === 'next') {
        const event = data.payload?.data?.initiativeChanges;
        if (!event) return reject(new Error(`event with errors: ${message.data}`));
        const t0 = started.get(`${event.recordId}/${event.initiative?.status}`);
        if (t0 !== undefined) {
          lastDelivery = performance.now();
          latencies.push(lastDelivery - t0);
          deliveries += 1;
        }
      } else if (data.type === 'error') {
        reject(new Error(`subscription refused: ${message.data}`));
      }
    };
  });
}

async function write(id, status) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: 'mutation($id: ID!, $status: InitiativeStatus!) { setInitiativeStatus(id: $id, status: $status) { id status } }',
      variables: { id, status },
    }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(`write failed: ${JSON.stringify(body.errors)}`);
  return body.data.setInitiativeStatus;
}

async function statusOf(id) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: 'query($id: ID!) { initiative(ref: $id) { status } }', variables: { id } }),
  });
  return (await response.json()).data.initiative.status;
}

// The status each initiative has now: a write of the same status changes nothing and sends no event.
const last = new Map();
for (const id of ids.slice(0, Number(events))) last.set(id, await statusOf(id));

const sockets = [];
for (let i = 0; i < Number(subscribers); i++) sockets.push(await subscribe());
// The server confirms no subscription: let the last ones settle before the first write.
await new Promise((r) => setTimeout(r, 500));
const expected = Number(subscribers) * Number(events);
const begin = performance.now();
for (let e = 0; e < Number(events); e++) {
  const id = ids[e % ids.length];
  // A status different from the current one, so every write is a real change.
  let status = STATUSES[e % STATUSES.length];
  if (last.get(id) === status) status = STATUSES[(e + 1) % STATUSES.length];
  last.set(id, status);
  started.set(`${id}/${status}`, performance.now());
  await write(id, status);
}
const deadline = performance.now() + 15000;
while (deliveries < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
const elapsed = ((lastDelivery || performance.now()) - begin) / 1000;
for (const socket of sockets) socket.close();
latencies.sort((a, b) => a - b);
const pick = (q) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : null);
console.log(JSON.stringify({
  subscribers: Number(subscribers), events: Number(events), expected, deliveries,
  deliveries_per_s: deliveries / elapsed, p50_ms: pick(0.5), p99_ms: pick(0.99), max_ms: latencies.at(-1) ?? null,
}));
process.exit(deliveries === expected ? 0 : 1);
