// Parley's GraphiQL: queries go to /graphql on this origin. Credentials go in the Headers tab
// ({"X-API-KEY": "..."} or {"Authorization": "Bearer ..."}) and are kept in this browser's storage.
// `?query=...` (and `?variables=...`) in the address open a query, so a link can share one.
(function () {
  var params = new URLSearchParams(window.location.search);
  var defaultQuery = [
    "# Parley GraphQL. Put your credentials under Headers below:",
    '#   {"X-API-KEY": "pk_..."}   or   {"Authorization": "Bearer ..."}',
    "",
    "{",
    "  chatSessions(first: 10) {",
    "    totalCount",
    "    nodes { id title character { name } messageCount }",
    "  }",
    "}",
    "",
  ].join("\n");
  var props = {
    fetcher: GraphiQL.createFetcher({ url: window.location.origin + "/graphql" }),
    defaultQuery: defaultQuery,
    defaultHeaders: '{"X-API-KEY": ""}',
    shouldPersistHeaders: true,
  };
  if (params.get("query")) {
    props.query = params.get("query");
  }
  if (params.get("variables")) {
    props.variables = params.get("variables");
  }
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, props)
  );
})();
