// The GraphiQL page of regiograaf: GraphiQL from the service's own copies of its bundles, an
// Examples panel with a ready operation for each kind of user, and a hint in the Headers tab
// for the development token. The examples come from web/examples/, embedded by the service
// into the page as JSON.
(function () {
  'use strict';
  var h = React.createElement;
  var examples = JSON.parse(document.getElementById('regiograaf-examples').textContent);

  var TOKEN_COMMAND = 'regiograaf token --org gemeente-haarlem --role editor';
  var TOKEN_HINT = 'Bearer <token from: ' + TOKEN_COMMAND + '>';
  var DEFAULT_HEADERS = JSON.stringify({ Authorization: TOKEN_HINT }, null, 2);

  // An Authorization header that still holds the hint (or any `<...>` placeholder) is not
  // sent, so the examples that need no token run as they are; a pasted token is sent.
  function withoutPlaceholder(headers) {
    var kept = {};
    Object.keys(headers || {}).forEach(function (name) {
      var value = String(headers[name]);
      if (!(name.toLowerCase() === 'authorization' && /[<>]/.test(value))) kept[name] = value;
    });
    return kept;
  }

  // The service refuses documents nested deeper than 12 fields (DEPTH_LIMIT), and the standard
  // introspection query of graphql-js follows type wrappers 7 levels deep (13 fields in all).
  // No type of this schema is wrapped more than 3 deep ([X!]!), so GraphiQL's introspection is
  // sent following 4.
  var TYPE_REF = 'fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ' +
    'ofType { kind name ofType { kind name } } } } }';
  var INTROSPECTION = GraphiQL.GraphQL.getIntrospectionQuery()
    .replace(/fragment TypeRef on __Type[\s\S]*$/, TYPE_REF);

  var scheme = window.location.protocol === 'https:' ? 'wss://' : 'ws://';
  var fetchGraphQL = GraphiQL.createFetcher({
    url: '/graphql',
    subscriptionUrl: scheme + window.location.host + '/graphql/ws',
  });
  function fetcher(params, options) {
    var headers = withoutPlaceholder(options && options.headers);
    if (params.operationName === 'IntrospectionQuery') {
      params = Object.assign({}, params, { query: INTROSPECTION });
    }
    return fetchGraphQL(params, Object.assign({}, options, { headers: headers }));
  }

  function tabOf(example) {
    return { query: example.query, variables: example.variables, headers: DEFAULT_HEADERS };
  }

  // Opens an example in a new tab. addTab() fills the editors with the defaults when React
  // applies it, so the example's text goes in right after.
  function useOpenExample() {
    var editor = GraphiQL.React.useEditorContext({ nonNull: true });
    return function (example) {
      editor.addTab();
      window.setTimeout(function () {
        if (editor.queryEditor) editor.queryEditor.setValue(example.query);
        if (editor.variableEditor) editor.variableEditor.setValue(example.variables || '');
        // GraphiQL reads the operation name from the editor a moment after a change; a Run
        // right away would still send the previous tab's.
        var operation = /^\s*(?:query|mutation|subscription)\s+(\w+)/m.exec(example.query);
        if (operation && editor.setOperationName) editor.setOperationName(operation[1]);
      }, 0);
    };
  }

  function code(text) {
    return h('code', null, text);
  }

  // GraphiQL fills the first tab's variables editor from storage, not from the tab: on a first
  // visit the first example's variables would be missing, so they are put in once here (the
  // panel opens with the page).
  function useFirstTabVariables() {
    var editor = GraphiQL.React.useEditorContext({ nonNull: true });
    var variableEditor = editor.variableEditor;
    React.useEffect(function () {
      var tab = editor.tabs[editor.activeTabIndex];
      if (variableEditor && tab && tab.variables && !variableEditor.getValue()) {
        variableEditor.setValue(tab.variables);
      }
    }, [variableEditor]);
  }

  function ExamplesPanel() {
    var open = useOpenExample();
    useFirstTabVariables();
    return h('div', { className: 'regiograaf-examples' },
      h('div', { className: 'graphiql-doc-explorer-title' }, 'Examples'),
      h('p', null,
        'A ready operation for each kind of user. Open one in a new tab, then press ',
        h('strong', null, 'Run'), ' (the ▶ button, or Ctrl-Enter).'),
      h('ul', { id: 'regiograaf-example-list' }, examples.map(function (example) {
        return h('li', { key: example.name },
          h('button', {
            type: 'button',
            'data-example': example.name,
            onClick: function () { open(example); },
          }, example.title),
          h('p', null, example.description));
      })),
      h('h3', null, 'A token'),
      h('p', null,
        'Public facts need no token. Guarded fields (budgets, contacts, notes) and every ',
        'mutation need one: in a checkout, run ', code('cargo run -q -- token --org gemeente-haarlem --role editor'),
        ' (or ', code(TOKEN_COMMAND), ' with the installed binary) and put the token ',
        'in the Headers tab in place of the hint: ', code('{"Authorization": "Bearer eyJ…"}'), '.'),
      h('p', null,
        'The hint itself is not sent. Other organisations: any party code, such as ',
        code('zilveren-kruis'), ' or ', code('ggd-kennemerland'),
        '; roles: viewer, editor, coordinator, admin.'),
      h('h3', null, 'More'),
      h('p', null,
        h('a', { href: '/voyager', id: 'regiograaf-voyager-link' }, 'The schema as a picture'),
        ' (GraphQL Voyager). The Docs panel (the book icon) describes every type and field, ',
        'with the Dutch terms of the agendas. These examples live in ', code('web/examples/'),
        ' of the repository.'));
  }

  function ExamplesIcon() {
    return h('svg', { viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', strokeWidth: 1.5, 'aria-hidden': true },
      h('path', { d: 'M4 5h16M4 10h16M4 15h10M4 20h7', strokeLinecap: 'round' }));
  }

  var examplesPlugin = { title: 'Examples', icon: ExamplesIcon, content: ExamplesPanel };

  var root = document.getElementById('graphiql');
  root.classList.remove('regiograaf-loading');
  ReactDOM.createRoot(root).render(
    h(GraphiQL, {
      fetcher: fetcher,
      plugins: [examplesPlugin],
      visiblePlugin: examplesPlugin,
      defaultTabs: examples.map(tabOf),
      defaultHeaders: DEFAULT_HEADERS,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
    },
    h(GraphiQL.Logo, null,
      h('span', { className: 'regiograaf-logo' }, 'regiograaf',
        h('a', { href: '/voyager', title: 'The schema as a picture (GraphQL Voyager)' }, 'schema picture')))));
})();
