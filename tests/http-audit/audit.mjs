// Runs every server audit of the GraphQL-over-HTTP spec against the URL given as the first
// argument, prints one line per audit and a summary, and exits 1 on any failure or warning.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs http://127.0.0.1:8080/graphql');
  process.exit(2);
}
const counts = { ok: 0, error: 0, warn: 0, notice: 0 };
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  counts[result.status] = (counts[result.status] || 0) + 1;
  const line = `${result.status.padEnd(6)} ${audit.id} ${audit.name}`;
  console.log(result.status === 'ok' ? line : `${line}\n       ${result.reason}`);
}
console.log(`audit summary: ${counts.ok} ok, ${counts.error} errors, ${counts.warn} warnings, ${counts.notice} notices`);
process.exit(counts.error + counts.warn > 0 ? 1 : 0);
