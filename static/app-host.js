// The host side of an MCP App (SEP-1865) on a tool page: the app's HTML runs in an iframe with
// sandbox="allow-scripts allow-forms" (an opaque origin: it cannot read this page, its cookies or its
// storage), and talks to this page by postMessage, in JSON-RPC 2.0. Only messages whose source is
// that iframe's window are taken. What the app may ask:
// - ui/initialize (answered with the host's info and capabilities), ping;
// - tools/call and resources/read on the tool's server: sent to the gateway's UI routes
//   (apps-pages.ts), where the call takes the normal pipeline (policy, approvals, activity, surface app);
// - ui/open-link: http(s) links only, each after the person confirms it;
// - ui/notifications/size-changed: the frame's height.
// The host sends ui/notifications/tool-input and ui/notifications/tool-result after each run of the
// test form. No inline script anywhere: the page's Content-Security-Policy allows only files.
(function () {
  'use strict';
  var section = document.querySelector('[data-app-frame]');
  if (!section) return;
  var PROTOCOL_VERSION = '2026-01-26';
  var MAX_HEIGHT = 4000;
  var host = section.querySelector('[data-app-host]');
  var openButton = section.querySelector('[data-app-open]');
  var frame = null;
  var ready = false;
  var pending = null; // the last run's { input, result }, sent once the app is initialized

  function csrfHeaders() {
    try {
      return JSON.parse(document.body.getAttribute('hx-headers') || '{}');
    } catch (e) {
      return {};
    }
  }

  function post(message) {
    // The frame's origin is opaque ("null"): '*' is the only target origin that reaches it.
    if (frame && frame.contentWindow) frame.contentWindow.postMessage(message, '*');
  }

  function reply(id, result) {
    post({ jsonrpc: '2.0', id: id, result: result });
  }

  function fail(id, code, message) {
    post({ jsonrpc: '2.0', id: id, error: { code: code, message: message } });
  }

  function notify(method, params) {
    post({ jsonrpc: '2.0', method: method, params: params });
  }

  function sendRun() {
    if (!ready || !pending) return;
    notify('ui/notifications/tool-input', { arguments: pending.input });
    notify('ui/notifications/tool-result', pending.result);
    pending = null;
  }

  // A request to the gateway on the app's behalf: the JSON answer, or an error with the problem's text.
  function gateway(url, body) {
    var headers = csrfHeaders();
    headers['Content-Type'] = 'application/json';
    headers.Accept = 'application/json';
    return fetch(url, { method: 'POST', headers: headers, body: JSON.stringify(body), credentials: 'same-origin' }).then(
      function (response) {
        return response.json().then(function (json) {
          if (response.ok) return json;
          throw new Error((json && json.title ? json.title : 'Request failed') + (json && json.detail ? ': ' + json.detail : ''));
        });
      },
    );
  }

  function forward(id, url, body) {
    gateway(url, body).then(
      function (result) {
        reply(id, result);
      },
      function (error) {
        fail(id, -32000, String(error && error.message ? error.message : error));
      },
    );
  }

  function openLink(id, params) {
    var url;
    try {
      url = new URL(String(params && params.url), document.baseURI);
    } catch (e) {
      return fail(id, -32602, 'not a valid URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return fail(id, -32602, 'only http and https links are opened');
    if (!window.confirm('The app asks to open this link:\n\n' + url.href + '\n\nOpen it?')) return reply(id, { isError: true });
    window.open(url.href, '_blank', 'noopener,noreferrer');
    reply(id, {});
  }

  function handle(message) {
    var params = message.params || {};
    var isRequest = message.id !== undefined && message.id !== null;
    switch (message.method) {
      case 'ui/initialize':
        reply(message.id, {
          protocolVersion: PROTOCOL_VERSION,
          hostInfo: { name: 'mcp-gateway', version: '1' },
          hostCapabilities: { openLinks: {}, serverTools: {}, serverResources: {} },
          hostContext: { displayMode: 'inline', availableDisplayModes: ['inline'], platform: 'web' },
        });
        return;
      case 'ui/notifications/initialized':
        ready = true;
        sendRun();
        return;
      case 'ui/notifications/size-changed':
        if (typeof params.height === 'number' && params.height > 0)
          frame.style.height = Math.min(MAX_HEIGHT, Math.ceil(params.height)) + 'px';
        return;
      case 'ping':
        return reply(message.id, {});
      case 'tools/call':
        if (typeof params.name !== 'string') return fail(message.id, -32602, 'name must be a string');
        return forward(message.id, section.getAttribute('data-app-call'), { name: params.name, arguments: params.arguments || {} });
      case 'resources/read':
        if (typeof params.uri !== 'string') return fail(message.id, -32602, 'uri must be a string');
        return forward(message.id, section.getAttribute('data-app-read'), { uri: params.uri });
      case 'ui/open-link':
        return openLink(message.id, params);
      default:
        if (isRequest) fail(message.id, -32601, 'the gateway does not offer ' + String(message.method).slice(0, 100) + ' to apps');
    }
  }

  window.addEventListener('message', function (event) {
    // Only the app's own frame; its origin is "null" (sandboxed), so the window is what identifies it.
    if (!frame || event.source !== frame.contentWindow) return;
    var message = event.data;
    if (!message || typeof message !== 'object' || message.jsonrpc !== '2.0' || typeof message.method !== 'string') return;
    handle(message);
  });

  function open() {
    if (frame) return;
    frame = document.createElement('iframe');
    frame.setAttribute('sandbox', 'allow-scripts allow-forms');
    frame.setAttribute('title', 'App: ' + (section.getAttribute('data-app-title') || ''));
    frame.setAttribute('referrerpolicy', 'no-referrer');
    frame.className = 'app-frame';
    frame.src = section.getAttribute('data-app-frame');
    host.appendChild(frame);
    openButton.hidden = true;
  }

  openButton.addEventListener('click', open);

  // After a run of the test form: the app shows its input and result (opened if it was not).
  document.addEventListener('htmx:afterSettle', function () {
    var run = document.querySelector('#call-result .app-run');
    if (!run) return;
    try {
      pending = { input: JSON.parse(run.getAttribute('data-app-input')), result: JSON.parse(run.getAttribute('data-app-result')) };
    } catch (e) {
      return;
    }
    run.remove();
    open();
    sendRun();
  });
})();
