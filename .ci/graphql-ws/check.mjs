// The graphql-ws npm client against Parley's /graphql/ws, over a real socket:
//  1. a query and a mutation run over the socket;
//  2. messageAdded and replyStream subscriptions see a message posted over REST and the model's
//     reply (from the stand-in model server): the user's message, every token in order, done,
//     then the saved reply, whose content is the tokens joined;
//  3. an invalid subscription gets a GraphQL error, and the socket keeps working;
//  4. a wrong key is refused at connection_init: the socket closes, naming the problem, and the
//     operation never runs. (async-graphql closes with 1002; graphql-transport-ws recommends
//     4403, and the client treats both as final.)
// Usage: node check.mjs BASE_URL API_KEY
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [base, key] = process.argv.slice(2);
const url = base.replace(/^http/, "ws") + "/graphql/ws";
const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};
const timeout = (ms, what) =>
  new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms));

function connect(apiKey) {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { "X-API-KEY": apiKey },
    retryAttempts: 0,
    lazy: true,
  });
}

// One result of a query or mutation over the socket.
function once(client, query, variables = {}) {
  return new Promise((resolve, reject) => {
    let result;
    client.subscribe(
      { query, variables },
      { next: (value) => (result = value), error: reject, complete: () => resolve(result) },
    );
  });
}

async function rest(method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers: { "X-API-KEY": key, "content-type": "application/json" },
    body: body && JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function main() {
  const client = connect(key);

  // 1. Queries and mutations over the socket.
  const characters = await once(client, "{ characters(first: 1) { nodes { id name } } }");
  const character = characters?.data?.characters?.nodes?.[0];
  check(character !== undefined, `query over the socket: ${JSON.stringify(characters)}`);
  const created = await once(
    client,
    "mutation($label: String!) { createAiModel(input: {label: $label}) { id } }",
    { label: `ws-check-${Date.now()}` },
  ).then((model) =>
    once(
      client,
      `mutation($c: Int!, $m: Int!) {
        createChatSession(input: {characterId: $c, aiModelId: $m, title: "ws check"}) { id }
      }`,
      { c: character.id, m: model?.data?.createAiModel?.id },
    ),
  );
  const session = created?.data?.createChatSession?.id;
  check(Number.isInteger(session), `mutation over the socket: ${JSON.stringify(created)}`);

  // 2. Subscriptions see a REST message and the model's reply.
  const added = [];
  const tokens = [];
  let done;
  let resolveReply;
  const replied = new Promise((resolve) => (resolveReply = resolve));
  let resolveProbe;
  const probed = new Promise((resolve) => (resolveProbe = resolve));
  const stopReply = client.subscribe(
    { query: "subscription($s: Int) { replyStream(chatSessionId: $s) { token done messageId error } }", variables: { s: session } },
    { next: ({ data }) => { const e = data.replyStream; if (e.done) done = e; else tokens.push(e.token); }, error: (e) => failures.push(`replyStream: ${JSON.stringify(e)}`), complete: () => {} },
  );
  const stopAdded = client.subscribe(
    { query: "subscription($s: Int) { messageAdded(chatSessionId: $s) { id role content } }", variables: { s: session } },
    {
      next: ({ data }) => {
        if (data.messageAdded.content === "probe") return resolveProbe(true);
        added.push(data.messageAdded);
        if (added.length === 2) resolveReply();
      },
      error: (e) => failures.push(`messageAdded: ${JSON.stringify(e)}`),
      complete: () => {},
    },
  );
  // The subscriptions start asynchronously (graphql-transport-ws has no ack for them): probe with
  // a message until one comes through messageAdded; replyStream, subscribed first, is live too.
  let live = false;
  for (let attempt = 0; attempt < 50 && !live; attempt++) {
    await once(client, 'mutation($s: Int!) { createMessage(input: {chatSessionId: $s, content: "probe"}) { id } }', { s: session });
    live = await Promise.race([probed, new Promise((resolve) => setTimeout(() => resolve(false), 200))]);
  }
  check(live, "the subscriptions started (a probe message came through)");
  const posted = await rest("POST", `/api/v1/chat-sessions/${session}/messages`, { content: "Hello over REST" });
  check(posted.status === 201, `REST message with a reply: ${posted.status}`);
  await Promise.race([replied, timeout(10000, "messageAdded twice")]);
  stopAdded();
  stopReply();
  check(added[0]?.role === "USER" && added[0]?.content === "Hello over REST", `messageAdded: the user's message ${JSON.stringify(added[0])}`);
  check(added[1]?.role === "ASSISTANT", `messageAdded: the reply ${JSON.stringify(added[1])}`);
  check(tokens.length >= 2 && tokens.join("") === added[1]?.content, `replyStream: ${tokens.length} tokens, joined = the saved reply (${JSON.stringify(tokens.join(""))})`);
  check(done?.done === true && String(done?.messageId) === String(added[1]?.id) && done?.error === null, `replyStream: done with the reply's id ${JSON.stringify(done)}`);

  // 3. An invalid subscription is a GraphQL error; the socket goes on.
  const invalid = await once(client, "subscription { messageAdded(chatSessionId: 999999) { id } }")
    .then((value) => ({ value }), (error) => ({ error }));
  const errors = invalid.error ?? invalid.value?.errors;
  check(Array.isArray(errors) && errors.length > 0, `unknown session: ${JSON.stringify(errors)}`);
  const after = await once(client, "{ chatSession(id: " + session + ") { title } }");
  check(after?.data?.chatSession?.title === "ws check", "the socket still answers after an error");
  await client.dispose();

  // 4. A wrong key never gets a subscription.
  const refused = connect("pk_wrong_key_0123456789");
  const closed = await new Promise((resolve) => {
    refused.on("closed", (event) => resolve(`${event.code} ${event.reason}`));
    refused.subscribe({ query: "{ characters { totalCount } }" }, { next: () => resolve("answered"), error: () => {}, complete: () => {} });
  });
  check(/^(1002|4403) .*key/i.test(closed), `a wrong key is refused at connection_init: closed ${closed}`);
  await refused.dispose();
}

await Promise.race([main(), timeout(30000, "the whole check")]).catch((error) => {
  failures.push(String(error?.stack ?? JSON.stringify(error)));
});
if (failures.length) {
  console.log(`graphql-ws check: ${failures.length} failure(s)`);
  for (const failure of failures) console.log(`  ${failure}`);
  process.exit(1);
}
console.log("graphql-ws check: all passed");
process.exit(0);
