// graphql-http's server audits (the GraphQL-over-HTTP specification's MUST/SHOULD/MAY items)
// against a running Parley, with its API key on every request. Prints every item; exits 1 if any
// MUST item fails.
// Usage: node audit.mjs http://127.0.0.1:PORT/graphql API_KEY
import { auditServer } from "graphql-http";

const [url, key] = process.argv.slice(2);
if (!url || !key) {
  console.error("usage: node audit.mjs GRAPHQL_URL API_KEY");
  process.exit(2);
}
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers || {});
  headers.set("x-api-key", key);
  return fetch(input, { ...init, headers });
};
const results = await auditServer({ url, fetchFn });
let failingMust = 0;
for (const result of results) {
  const reason = result.status === "ok" ? "" : ` :: ${result.reason}`;
  console.log(`${result.status.padEnd(6)} ${result.name}${reason}`);
  if (result.status !== "ok" && result.name.startsWith("MUST")) failingMust++;
}
const count = (status) => results.filter((r) => r.status === status).length;
console.log(
  `graphql-http audit: ${results.length} items, ${count("ok")} ok, ${count("warn")} warn, ` +
    `${count("notice")} notice, ${count("error")} error; failing MUST: ${failingMust}`,
);
// An audit that ran nothing checked nothing.
if (results.length === 0) console.log("graphql-http audit: no items ran");
process.exit(failingMust || results.length === 0 ? 1 : 0);
