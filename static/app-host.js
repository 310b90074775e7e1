// The host side of an MCP App (SEP-1865, protocol 2026-01-26 of @modelcontextprotocol/ext-apps) on a
// tool page: the app's HTML runs in an iframe with sandbox="allow-scripts allow-forms" (an opaque
// origin: it cannot read this page, its cookies or its storage), and talks to this page by
// postMessage, in JSON-RPC 2.0. Only messages whose source is that iframe's window are taken, and
// everything in them is untrusted: it is shown as text (textContent), never as HTML.
// What the app may ask (the capabilities ui/initialize declares, no more):
// - ui/initialize: the host's info (mcp-gateway and its version), capabilities and context (toolInfo,
//   theme from the page's color scheme and its colours as style variables, display modes inline and
//   fullscreen, container dimensions,
//   locale, time zone, platform web, device capabilities); ping;
// - tools/call and resources/read on the tool's server: sent to the gateway's UI routes
//   (apps-pages.ts), where the call takes the normal pipeline (policy, approvals, activity, surface app);
// - ui/open-link: http(s) links only, each after the person confirms it;
// - ui/message and ui/update-model-context: the orchestrator has no conversation and no model, so
//   what the app sends (text blocks; structured content for the context) is shown in the "From the
//   app" panel next to the frame, for the person: messages listed, the context replaced by each
//   update (as the spec says: the latest one counts); other kinds of blocks are refused (-32602);
// - notifications/message (the app's log): listed in the same panel with its level;
// - ui/download-file: embedded resources (text or base64 blob) saved as files, resource links read
//   from the app's server first; all after the person confirms the list of files;
// - ui/request-display-mode: inline or fullscreen (the section covers the window; "Exit full screen"
//   or Escape goes back), if the app declared it (appCapabilities.availableDisplayModes) or declared
//   none; any other mode answers the current one;
// - ui/notifications/size-changed: the frame's height, bounded to MIN_HEIGHT..MAX_HEIGHT; the width
//   is always the container's (stated as containerDimensions.width), so the frame fits a 390 px screen;
// - ui/notifications/request-teardown: the view is closed, as with "Close app".
// What the host sends: ui/notifications/tool-input, then tool-result (or tool-cancelled with the
// reason when the run ended without a result) after each run of the test form;
// ui/notifications/host-context-changed with the fields that changed (theme and styles, display mode,
// container dimensions); ui/resource-teardown before the view closes (answer awaited up to TEARDOWN_WAIT_MS)
// and when the page goes away. tool-input-partial is never sent: the person fills a form, no model
// streams arguments. Anything else the app asks (sampling/createMessage, resources/list…) is
// answered "method not found".
// No inline script anywhere: the page's Content-Security-Policy allows only files.
(function () {
  'use strict';
  var section = document.querySelector('[data-app-frame]');
  if (!section) return;
  var PROTOCOL_VERSION = '2026-01-26';
  /** Bounds of the frame's height (px) an app may ask for with size-changed. */
  var MIN_HEIGHT = 60;
  var MAX_HEIGHT = 4000;
  /** Entries kept in the "From the app" list (the oldest dropped); characters shown of one entry. */
  var MAX_NOTES = 50;
  var MAX_TEXT = 10000;
  /** How long the view is given to answer ui/resource-teardown before its frame is removed. */
  var TEARDOWN_WAIT_MS = 2000;
  /** Files one ui/download-file may ask for; characters of a downloaded file's name. */
  var MAX_DOWNLOADS = 20;
  var MAX_FILE_NAME = 100;
  var DISPLAY_MODES = ['inline', 'fullscreen'];
  var host = section.querySelector('[data-app-host]');
  var openButton = section.querySelector('[data-app-open]');
  var closeButton = section.querySelector('[data-app-close]');
  var inlineButton = section.querySelector('[data-app-inline]');
  var notes = section.querySelector('[data-app-notes]');
  var noteList = section.querySelector('[data-app-note-list]');
  var contextBox = section.querySelector('[data-app-context]');
  var contextText = section.querySelector('[data-app-context-text]');
  var darkScheme = window.matchMedia('(prefers-color-scheme: dark)');
  var frame = null;
  var ready = false;
  var closing = false;
  var displayMode = 'inline';
  var appModes = null; // the display modes the app declared in ui/initialize (appCapabilities.availableDisplayModes), if it did
  var pending = null; // the last run's { input, result } or { input, cancelled }, sent once the app is initialized
  var sentContext = {}; // the changing host context fields as last sent (JSON text), for host-context-changed
  var nextId = 1;
  var waiting = {}; // this page's requests to the app, by id: what to do with the answer

  function csrfHeaders() {
    try {
      return JSON.parse(document.body.getAttribute('hx-headers') || '{}');
    } catch (e) {
      return {};
    }
  }

  function post(target, message) {
    // The frame's origin is opaque ("null"): '*' is the only target origin that reaches it.
    if (target) target.postMessage(message, '*');
  }

  function notify(method, params) {
    if (frame) post(frame.contentWindow, { jsonrpc: '2.0', method: method, params: params });
  }

  // A request to the app; `done` gets its answer, or nothing after `waitMs`.
  function ask(method, params, waitMs, done) {
    var id = 'host-' + nextId++;
    var timer = setTimeout(function () {
      delete waiting[id];
      done(null);
    }, waitMs);
    waiting[id] = function (answer) {
      clearTimeout(timer);
      done(answer);
    };
    post(frame && frame.contentWindow, { jsonrpc: '2.0', id: id, method: method, params: params });
  }

  // Untrusted text as the page shows it: characters that display as nothing or reorder the text
  // around them (controls, bidirectional overrides, zero-width ones) written as \uXXXX; line breaks and tabs kept.
  function visible(text) {
    var clipped = text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) + '…' : text;
    return clipped.replace(/(?![\n\t\u200D])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, function (character) {
      return '\\u' + ('000' + character.charCodeAt(0).toString(16).toUpperCase()).slice(-4);
    });
  }

  function toolDefinition() {
    try {
      return JSON.parse(section.getAttribute('data-app-tool') || 'null');
    } catch (e) {
      return null;
    }
  }

  // The page's colours and fonts as the spec's style variables (they change with the theme).
  var STYLE_VARIABLES = {
    '--color-background-primary': '--surface',
    '--color-background-secondary': '--bg',
    '--color-background-danger': '--bad-bg',
    '--color-background-success': '--ok-bg',
    '--color-background-warning': '--warn-bg',
    '--color-text-primary': '--text',
    '--color-text-secondary': '--muted',
    '--color-text-info': '--accent',
    '--color-text-danger': '--bad',
    '--color-text-success': '--ok',
    '--color-text-warning': '--warn',
    '--color-border-primary': '--line',
    '--color-ring-primary': '--focus',
    '--border-radius-md': '--radius',
  };

  function styles() {
    var page = getComputedStyle(document.documentElement);
    var variables = {};
    Object.keys(STYLE_VARIABLES).forEach(function (name) {
      var value = page.getPropertyValue(STYLE_VARIABLES[name]).trim();
      if (value) variables[name] = value;
    });
    variables['--font-sans'] = getComputedStyle(document.body).fontFamily;
    return { variables: variables };
  }

  // The host context fields that change while the app runs.
  function changingContext() {
    var dimensions =
      displayMode === 'fullscreen'
        ? { width: host.clientWidth, height: host.clientHeight }
        : { width: host.clientWidth, maxHeight: MAX_HEIGHT };
    return {
      theme: darkScheme.matches ? 'dark' : 'light',
      styles: styles(),
      displayMode: displayMode,
      containerDimensions: dimensions,
    };
  }

  function hostContext() {
    var tool = toolDefinition();
    var context = {
      availableDisplayModes: DISPLAY_MODES.slice(),
      locale: navigator.language,
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      userAgent: 'mcp-gateway/' + (section.getAttribute('data-app-version') || ''),
      platform: 'web',
      deviceCapabilities: {
        touch: window.matchMedia('(pointer: coarse)').matches || navigator.maxTouchPoints > 0,
        hover: window.matchMedia('(hover: hover)').matches,
      },
    };
    if (tool) context.toolInfo = { tool: tool };
    var changing = changingContext();
    sentContext = {};
    Object.keys(changing).forEach(function (key) {
      context[key] = changing[key];
      sentContext[key] = JSON.stringify(changing[key]);
    });
    return context;
  }

  // ui/notifications/host-context-changed with only the fields that changed since they were last sent.
  function contextChanged() {
    if (!frame || !ready) return;
    var changing = changingContext();
    var changed = {};
    var any = false;
    Object.keys(changing).forEach(function (key) {
      var text = JSON.stringify(changing[key]);
      if (text === sentContext[key]) return;
      sentContext[key] = text;
      changed[key] = changing[key];
      any = true;
    });
    if (any) notify('ui/notifications/host-context-changed', changed);
  }

  function sendRun() {
    if (!ready || !pending) return;
    notify('ui/notifications/tool-input', { arguments: pending.input });
    if (pending.cancelled) notify('ui/notifications/tool-cancelled', { reason: pending.cancelled });
    else notify('ui/notifications/tool-result', pending.result);
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

  function forward(answer, url, body) {
    gateway(url, body).then(answer.ok, function (error) {
      answer.fail(-32000, String(error && error.message ? error.message : error));
    });
  }

  function openLink(answer, params) {
    var url;
    try {
      url = new URL(String(params && params.url), document.baseURI);
    } catch (e) {
      return answer.fail(-32602, 'not a valid URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return answer.fail(-32602, 'only http and https links are opened');
    if (!window.confirm('The app asks to open this link:\n\n' + url.href + '\n\nOpen it?')) return answer.ok({ isError: true });
    window.open(url.href, '_blank', 'noopener,noreferrer');
    answer.ok({});
  }

  // A file name for a download: the last part of the resource's URI (or its name), plain characters only.
  function fileNameOf(item) {
    var raw =
      String(item.name || item.uri || '')
        .split(/[/\\?#]/)
        .filter(Boolean)
        .pop() || '';
    var name = raw
      .replace(/[^\w.-]+/g, '_')
      .replace(/^\.+/, '')
      .slice(0, MAX_FILE_NAME);
    return name || 'download';
  }

  // The bytes of an embedded resource (text, or base64 `blob`) as a Blob, or null when it has neither.
  // Always of type application/octet-stream, whatever the app says: a blob: URL has this page's origin,
  // and an HTML one opened rather than saved would run as the gateway.
  var FILE_TYPE = { type: 'application/octet-stream' };

  function blobOf(resource) {
    if (typeof resource.text === 'string') return new Blob([resource.text], FILE_TYPE);
    if (typeof resource.blob !== 'string') return null;
    var bytes;
    try {
      bytes = atob(resource.blob);
    } catch (e) {
      return null;
    }
    var array = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i++) array[i] = bytes.charCodeAt(i);
    return new Blob([array], FILE_TYPE);
  }

  function save(name, blob) {
    var link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = name;
    link.rel = 'noopener';
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () {
      URL.revokeObjectURL(link.href);
    }, 60000);
  }

  // ui/download-file: embedded resources are saved as they are; a resource link is read from the app's
  // server first (as its resources/read). All after the person confirms the list of files.
  function downloadFile(answer, params) {
    var contents = params.contents;
    if (!Array.isArray(contents) || contents.length === 0 || contents.length > MAX_DOWNLOADS)
      return answer.fail(-32602, 'contents must be an array of 1 to ' + MAX_DOWNLOADS + ' resources');
    var files = [];
    for (var i = 0; i < contents.length; i++) {
      var block = contents[i] || {};
      if (block.type === 'resource' && block.resource && typeof block.resource.uri === 'string') {
        var blob = blobOf(block.resource);
        if (!blob) return answer.fail(-32602, 'contents[' + i + '] has neither text nor blob');
        files.push({ name: fileNameOf(block.resource), blob: blob });
      } else if (block.type === 'resource_link' && typeof block.uri === 'string') {
        files.push({ name: fileNameOf(block), uri: block.uri });
      } else return answer.fail(-32602, 'contents[' + i + '] is neither an embedded resource nor a resource link');
    }
    var list = files
      .map(function (file) {
        return file.name + (file.blob ? ' (' + file.blob.size + ' bytes)' : ' (from the server)');
      })
      .join('\n');
    if (!window.confirm('The app asks to download:\n\n' + visible(list) + '\n\nDownload?')) return answer.ok({ isError: true });
    var reads = files.map(function (file) {
      if (file.blob) return Promise.resolve(file);
      return gateway(section.getAttribute('data-app-read'), { uri: file.uri }).then(function (result) {
        var item = result && Array.isArray(result.contents) ? result.contents[0] : null;
        var blob = item && blobOf(item);
        if (!blob) throw new Error('the server sent nothing to save for ' + file.uri);
        return { name: file.name, blob: blob };
      });
    });
    Promise.all(reads).then(
      function (ready) {
        ready.forEach(function (file) {
          save(file.name, file.blob);
        });
        answer.ok({});
      },
      function (error) {
        answer.fail(-32000, String(error && error.message ? error.message : error));
      },
    );
  }

  // The text of content blocks, or why they are not shown: this host declares text blocks only.
  function textOf(content, field) {
    // One block alone is taken too (the spec's own example of ui/message sends one).
    if (content && typeof content === 'object' && !Array.isArray(content)) content = [content];
    if (!Array.isArray(content)) return { error: field + ' must be an array of content blocks' };
    var parts = [];
    for (var i = 0; i < content.length; i++) {
      var block = content[i];
      if (!block || block.type !== 'text' || typeof block.text !== 'string')
        return {
          error:
            'the gateway shows text content only; ' +
            field +
            '[' +
            i +
            '] is ' +
            (block && typeof block.type === 'string' ? 'of type "' + block.type.slice(0, 40) + '"' : 'not a text block'),
        };
      parts.push(block.text);
    }
    return { text: parts.join('\n\n') };
  }

  // An entry of the "From the app" list (newest first; at most MAX_NOTES kept).
  function addNote(kind, label, text) {
    notes.hidden = false;
    var item = document.createElement('li');
    item.className = 'app-note app-note-' + kind;
    var badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = label;
    var time = document.createElement('time');
    var now = new Date();
    time.dateTime = now.toISOString();
    time.textContent = now.toLocaleTimeString();
    var body = document.createElement('pre');
    body.className = 'app-note-text';
    body.textContent = visible(text);
    item.append(badge, ' ', time, body);
    noteList.prepend(item);
    while (noteList.children.length > MAX_NOTES) noteList.lastElementChild.remove();
  }

  function message(answer, params) {
    if (params.role !== 'user') return answer.fail(-32602, 'role must be "user"');
    var text = textOf(params.content, 'content');
    if (text.error) return answer.fail(-32602, text.error);
    if (text.text === '') return answer.fail(-32602, 'content must have some text');
    addNote('message', 'message', text.text);
    answer.ok({});
  }

  function updateModelContext(answer, params) {
    var parts = [];
    if (params.content !== undefined) {
      var text = textOf(params.content, 'content');
      if (text.error) return answer.fail(-32602, text.error);
      if (text.text !== '') parts.push(text.text);
    }
    var structured = params.structuredContent;
    if (structured !== undefined) {
      if (!structured || typeof structured !== 'object' || Array.isArray(structured))
        return answer.fail(-32602, 'structuredContent must be an object');
      parts.push(JSON.stringify(structured, null, 2));
    }
    // Each update replaces the one before; an empty one clears it.
    notes.hidden = false;
    contextBox.hidden = parts.length === 0;
    contextText.textContent = visible(parts.join('\n\n'));
    answer.ok({});
  }

  function log(params) {
    var level = typeof params.level === 'string' ? params.level.slice(0, 20) : 'info';
    var data = typeof params.data === 'string' ? params.data : JSON.stringify(params.data);
    var logger = typeof params.logger === 'string' && params.logger ? params.logger.slice(0, 100) + ': ' : '';
    addNote('log', 'log ' + level, logger + String(data));
  }

  function setDisplayMode(mode) {
    if (mode === displayMode || DISPLAY_MODES.indexOf(mode) < 0) return;
    displayMode = mode;
    section.classList.toggle('app-fullscreen', mode === 'fullscreen');
    inlineButton.hidden = mode !== 'fullscreen';
    contextChanged();
  }

  // ui/initialize: the host's info, capabilities (exactly what this page does) and context.
  function initialize(answer, params) {
    var declared = params.appCapabilities && params.appCapabilities.availableDisplayModes;
    appModes = Array.isArray(declared) ? declared : null;
    return answer.ok({
      protocolVersion: PROTOCOL_VERSION,
      hostInfo: { name: 'mcp-gateway', version: section.getAttribute('data-app-version') || '' },
      hostCapabilities: {
        openLinks: {},
        downloadFile: {},
        serverTools: {},
        serverResources: {},
        logging: {},
        message: { text: {} },
        updateModelContext: { text: {}, structuredContent: {} },
      },
      hostContext: hostContext(),
    });
  }

  function handle(message_, source) {
    var params = message_.params && typeof message_.params === 'object' ? message_.params : {};
    var isRequest = message_.id !== undefined && message_.id !== null;
    var answer = {
      ok: function (result) {
        if (isRequest) post(source, { jsonrpc: '2.0', id: message_.id, result: result });
      },
      fail: function (code, text) {
        if (isRequest) post(source, { jsonrpc: '2.0', id: message_.id, error: { code: code, message: text } });
      },
    };
    switch (message_.method) {
      case 'ui/initialize':
        return initialize(answer, params);
      case 'ui/notifications/initialized':
        ready = true;
        sendRun();
        contextChanged();
        return;
      case 'ui/notifications/size-changed':
        if (typeof params.height === 'number' && params.height > 0)
          frame.style.height = Math.max(MIN_HEIGHT, Math.min(MAX_HEIGHT, Math.ceil(params.height))) + 'px';
        return;
      case 'ui/notifications/request-teardown':
        return close('the app asked to close');
      case 'notifications/message':
        return log(params);
      case 'ping':
        return answer.ok({});
      case 'tools/call':
        if (typeof params.name !== 'string') return answer.fail(-32602, 'name must be a string');
        return forward(answer, section.getAttribute('data-app-call'), { name: params.name, arguments: params.arguments || {} });
      case 'resources/read':
        if (typeof params.uri !== 'string') return answer.fail(-32602, 'uri must be a string');
        return forward(answer, section.getAttribute('data-app-read'), { uri: params.uri });
      case 'ui/open-link':
        return openLink(answer, params);
      case 'ui/message':
        return message(answer, params);
      case 'ui/update-model-context':
        return updateModelContext(answer, params);
      case 'ui/download-file':
        return downloadFile(answer, params);
      case 'ui/request-display-mode':
        // Never a mode the app did not declare (when it declared some); the answer is the mode now.
        if (!appModes || appModes.indexOf(params.mode) >= 0) setDisplayMode(params.mode);
        return answer.ok({ mode: displayMode });
      default:
        answer.fail(-32601, 'the gateway does not offer ' + String(message_.method).slice(0, 100) + ' to apps');
    }
  }

  window.addEventListener('message', function (event) {
    // Only the app's own frame; its origin is "null" (sandboxed), so the window is what identifies it.
    if (!frame || event.source !== frame.contentWindow) return;
    var data = event.data;
    if (!data || typeof data !== 'object' || data.jsonrpc !== '2.0') return;
    if (typeof data.method === 'string') return handle(data, event.source);
    // An answer to one of this page's requests (ui/resource-teardown).
    var done = typeof data.id === 'string' && Object.prototype.hasOwnProperty.call(waiting, data.id) ? waiting[data.id] : null;
    if (!done) return;
    delete waiting[data.id];
    done(data);
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
    closeButton.hidden = false;
  }

  // Closes the view: ui/resource-teardown first (the app may save its state), then the frame goes.
  function close(reason) {
    if (!frame || closing) return;
    closing = true;
    var finish = function () {
      setDisplayMode('inline');
      frame.remove();
      frame = null;
      ready = false;
      closing = false;
      openButton.hidden = false;
      closeButton.hidden = true;
    };
    if (ready) ask('ui/resource-teardown', { reason: reason }, TEARDOWN_WAIT_MS, finish);
    else finish();
  }

  openButton.addEventListener('click', open);
  closeButton.addEventListener('click', function () {
    close('the person closed the app');
  });
  inlineButton.addEventListener('click', function () {
    setDisplayMode('inline');
  });
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && displayMode === 'fullscreen') setDisplayMode('inline');
  });
  darkScheme.addEventListener('change', contextChanged);
  if (window.ResizeObserver) new ResizeObserver(contextChanged).observe(host);
  // The page goes away (a link followed, the tab closed): the app is told, without waiting for it.
  window.addEventListener('pagehide', function () {
    if (frame && ready)
      post(frame.contentWindow, {
        jsonrpc: '2.0',
        id: 'host-' + nextId++,
        method: 'ui/resource-teardown',
        params: { reason: 'the page was left' },
      });
  });

  // After a run of the test form: the app shows its input and result (opened if it was not).
  document.addEventListener('htmx:afterSettle', function () {
    var run = document.querySelector('#call-result .app-run');
    if (!run) return;
    try {
      var input = JSON.parse(run.getAttribute('data-app-input'));
      var cancelled = run.getAttribute('data-app-cancelled');
      pending = cancelled
        ? { input: input, cancelled: cancelled }
        : { input: input, result: JSON.parse(run.getAttribute('data-app-result')) };
    } catch (e) {
      return;
    }
    run.remove();
    open();
    sendRun();
  });
})();
