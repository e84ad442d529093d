// GraphiQL and the REST docs page in a real browser with no way out: headless Chromium whose
// requests to anything but 127.0.0.1 are refused (and recorded). GraphiQL must load, run a query
// with the key typed into its Headers editor and show the answer; /docs must render the REST API.
// Usage: node check.mjs http://127.0.0.1:PORT API_KEY SCREENSHOT_DIR
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

const [base, apiKey, shots] = process.argv.slice(2);
if (!base || !apiKey || !shots) {
  console.error("usage: node check.mjs BASE_URL API_KEY SCREENSHOT_DIR");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    // Belt and braces: no name resolves but 127.0.0.1.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
  ],
});
const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
const outside = [];
await context.route("**/*", (route) => {
  const url = new URL(route.request().url());
  if (url.hostname === "127.0.0.1" || url.protocol === "data:") {
    return route.continue();
  }
  outside.push(url.href);
  return route.abort("blockedbyclient");
});
const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};

// GraphiQL: open a query from the address, put the key under Headers, run it, read the answer.
const page = await context.newPage();
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
const query = "{ characters { totalCount nodes { name } } }";
await page.goto(`${base}/graphql?query=${encodeURIComponent(query)}`);
await page.waitForSelector(".graphiql-container", { timeout: 30000 });
check(true, "GraphiQL renders");
await page.getByText("Headers", { exact: true }).click();
await page.waitForSelector(".graphiql-editor:not(.hidden) .CodeMirror", { timeout: 10000 });
// CodeMirror 5 keeps its editor on its element; setting the text is what typing would do.
await page.evaluate((key) => {
  // The visible editor outside the query editor and the result: the Headers tab's.
  const headers = [...document.querySelectorAll(".graphiql-editor:not(.hidden) .CodeMirror")]
    .find((e) => !e.closest(".graphiql-query-editor"));
  headers.CodeMirror.setValue(JSON.stringify({ "X-API-KEY": key }));
}, apiKey);
const answered = page.waitForResponse(
  (r) => r.url().endsWith("/graphql") && r.request().method() === "POST" &&
    (r.request().postData() || "").includes("characters"),
);
await page.locator(".graphiql-execute-button").click();
const response = await answered;
check(response.status() === 200, `the query answers 200 (got ${response.status()})`);
await page.waitForFunction(
  () => (document.querySelector(".result-window")?.textContent || "").includes("Browser Check"),
  null,
  { timeout: 15000 },
);
const shown = await page.locator(".result-window").textContent();
check(shown.includes("totalCount") && shown.includes("Browser Check"), "GraphiQL shows the result");
// The schema, re-fetched with the key: the docs explorer lists Parley's types (introspection
// needs credentials, and graphql-js's standard introspection query must pass the limits).
try {
  await page.getByLabel("Re-fetch GraphQL schema").first().click();
  await page.getByLabel(/Show Documentation Explorer/).first().click();
  await page.waitForFunction(
    () => (document.querySelector(".graphiql-doc-explorer")?.textContent || "").includes("QueryRoot"),
    null,
    { timeout: 15000 },
  );
  check(true, "the docs explorer lists Parley's types");
} catch (e) {
  check(false, `the docs explorer lists Parley's types (${e})`);
}
await page.screenshot({ path: `${shots}/graphiql.png` });
check(errors.length === 0, `no script errors on the GraphiQL page ${errors.join("; ")}`);

// The REST docs page (Swagger UI, vendored): the document's title and its operations render.
const docs = await context.newPage();
await docs.goto(`${base}/docs/`);
await docs.waitForSelector(".swagger-ui .info .title", { timeout: 30000 });
await docs.waitForSelector(".opblock-summary", { timeout: 30000 });
const title = await docs.locator(".swagger-ui .info .title").textContent();
const operations = await docs.locator(".opblock-summary").count();
check(title.includes("Parley"), `the docs page shows the API (${title.trim()})`);
check(operations >= 40, `the docs page lists the operations (${operations})`);
await docs.screenshot({ path: `${shots}/docs.png` });

check(outside.length === 0, `nothing was requested outside 127.0.0.1 ${outside.join(" ")}`);
await browser.close();
console.log(`screenshots: ${shots}/graphiql.png ${shots}/docs.png`);
if (failures.length) {
  console.error(`${failures.length} browser check(s) failed`);
  process.exit(1);
}
console.log("browser checks passed");
