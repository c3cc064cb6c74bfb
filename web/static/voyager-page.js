// The schema picture: GraphQL Voyager (its standalone bundle, React included) drawn from the
// service's own introspection at /graphql.
(function () {
  'use strict';
  var target = document.getElementById('voyager');
  // The service refuses documents nested deeper than 12 fields (DEPTH_LIMIT); the standard
  // introspection query follows type wrappers 7 levels deep. No type of this schema is
  // wrapped more than 3 deep ([X!]!), so Voyager's query is sent following 4 (as GraphiQL's).
  var TYPE_REF = 'fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ' +
    'ofType { kind name ofType { kind name } } } } }';
  var query = GraphQLVoyager.voyagerIntrospectionQuery
    .replace(/fragment TypeRef on __Type[\s\S]*$/, TYPE_REF);
  fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query: query }),
  })
    .then(function (response) { return response.json(); })
    .then(function (result) {
      if (!result.data) {
        var message = (result.errors || []).map(function (e) { return e.message; }).join('; ');
        throw new Error(message || 'no data');
      }
      target.classList.remove('regiograaf-loading');
      GraphQLVoyager.renderVoyager(target, {
        introspection: result,
        displayOptions: { rootType: 'Query', skipRelay: true, skipDeprecated: true },
      });
    })
    .catch(function (error) {
      // Introspection may be limited to callers with a token (--introspection).
      target.textContent = 'The schema could not be loaded: ' + error.message;
    });
})();
