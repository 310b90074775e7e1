// The orchestrator's own script: live updates over Server-Sent Events (polling when the stream is
// cut), repeatable rows of the test form, copying, and readable errors. htmx does the rest.
// No inline script anywhere: the page's Content-Security-Policy allows only files like this one.
(function () {
  'use strict';
  document.documentElement.classList.add('js');

  var POLL_MS = 3000;

  function toast(text) {
    var box = document.getElementById('toast');
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { box.hidden = true; }, 8000);
  }

  // Errors: an HTML answer (a form's field errors, an error partial) is shown where it was asked
  // for; a problem document (JSON) becomes a short message.
  document.addEventListener('htmx:beforeSwap', function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status < 400) return;
    var type = xhr.getResponseHeader('Content-Type') || '';
    if (type.indexOf('text/html') === 0) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      return;
    }
    var message = 'The request failed (' + xhr.status + ')';
    try {
      var problem = JSON.parse(xhr.responseText);
      message = problem.title + (problem.detail ? ': ' + problem.detail : '');
    } catch (e) { /* not JSON */ }
    toast(message);
  });
  document.addEventListener('htmx:sendError', function () {
    toast('The gateway cannot be reached.');
  });

  // Live updates. One stream per page; the servers page and the activity page's live tail use it.
  var servers = document.querySelector('[data-live-servers]');
  var liveTail = document.getElementById('live-tail');
  var pollTimer = null;

  function refreshServers() {
    if (servers) htmx.ajax('GET', 'ui/servers', { target: servers, swap: 'innerHTML' });
  }

  function refreshServer(name) {
    var cards = servers ? servers.querySelectorAll('[data-server]') : [];
    for (var i = 0; i < cards.length; i++) {
      if (cards[i].getAttribute('data-server') === name) {
        htmx.ajax('GET', 'ui/servers/' + encodeURIComponent(name), { target: cards[i], swap: 'outerHTML' });
        return;
      }
    }
    refreshServers();
  }

  function newestStart(list) {
    var first = list.querySelector('.activity-row');
    return first ? Date.parse(first.getAttribute('data-started')) : 0;
  }

  function rowsFrom(html) {
    var template = document.createElement('template');
    template.innerHTML = html;
    return template.content.querySelectorAll('.activity-row');
  }

  function fetchRows(url) {
    return fetch(url, { headers: { 'HX-Request': 'true' }, credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.text() : ''; })
      .then(rowsFrom);
  }

  function rowWithId(list, id) {
    return list.querySelector('.activity-row[data-id="' + CSS.escape(id) + '"]');
  }

  // New calls go on top; a call already shown (it was running when its row arrived) is replaced
  // by its finished row.
  function tailActivity(finishedId) {
    var list = document.querySelector('ol.activity');
    if (!list || !liveTail || !liveTail.checked) return;
    var query = list.getAttribute('data-filter-query') || '';
    var after = newestStart(list);
    fetchRows('activity?rows=1' + (query ? '&' + query : '') + (after ? '&after=' + after : '')).then(function (rows) {
      for (var i = rows.length - 1; i >= 0; i--) {
        var existing = rowWithId(list, rows[i].getAttribute('data-id'));
        if (existing) { existing.replaceWith(rows[i]); continue; }
        rows[i].classList.add('new');
        list.insertBefore(rows[i], list.firstChild);
      }
      var empty = document.querySelector('#activity-list .empty');
      if (empty && list.querySelector('.activity-row')) empty.remove();
      var stale = typeof finishedId === 'string' && rowWithId(list, finishedId);
      if (stale && stale.classList.contains('outcome-running')) {
        fetchRows('activity?rows=1&id=' + encodeURIComponent(finishedId)).then(function (found) {
          if (found[0]) stale.replaceWith(found[0]);
        });
      }
    });
  }

  function startPolling() {
    if (pollTimer) return;
    pollTimer = setInterval(function () {
      refreshServers();
      tailActivity();
    }, POLL_MS);
  }

  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = null;
  }

  if ((servers || liveTail) && window.EventSource) {
    var stream = new EventSource('ui/events');
    var wasCut = false;
    stream.addEventListener('open', function () {
      stopPolling();
      // Whatever changed while the stream was cut.
      if (wasCut) { refreshServers(); tailActivity(); }
      wasCut = false;
      document.documentElement.setAttribute('data-live', 'stream');
    });
    stream.addEventListener('error', function () {
      wasCut = true;
      document.documentElement.setAttribute('data-live', 'polling');
      startPolling();
    });
    stream.addEventListener('server', function (event) { refreshServer(event.data); });
    stream.addEventListener('servers', refreshServers);
    stream.addEventListener('activity', function (event) { tailActivity(event.data); });
    window.addEventListener('pagehide', function () { stream.close(); });
  } else if (servers || liveTail) {
    startPolling();
  }
  if (liveTail) liveTail.addEventListener('change', function () { tailActivity(); });

  // Repeatable rows: a row is a clone of the array's <template>; names need no renumbering.
  document.addEventListener('click', function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var add = target.closest('[data-add-row]');
    if (add) {
      var fieldset = add.closest('[data-array]');
      var template = fieldset && fieldset.querySelector(':scope > template');
      var rows = fieldset && fieldset.querySelector(':scope > .rows');
      if (template && rows) {
        rows.appendChild(template.content.cloneNode(true));
        var input = rows.lastElementChild && rows.lastElementChild.querySelector('input:not([type=hidden]), select, textarea');
        if (input) input.focus();
      }
      return;
    }
    var remove = target.closest('[data-remove-row]');
    if (remove) {
      var row = remove.closest('.row');
      var next = row && (row.nextElementSibling || row.previousElementSibling);
      if (row) row.remove();
      if (next) { var focusable = next.querySelector('button'); if (focusable) focusable.focus(); }
      return;
    }
    var copy = target.closest('[data-copy]');
    if (copy) {
      var source = copy.parentElement && copy.parentElement.querySelector('[data-copy-source]');
      if (!source) return;
      var text = source.textContent;
      var done = function () { copy.textContent = 'Copied'; setTimeout(function () { copy.textContent = 'Copy'; }, 2000); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { toast('Copying was refused; select the text instead.'); });
      } else {
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        try { document.execCommand('copy'); done(); } catch (e) { toast('Select the text and copy it.'); }
      }
    }
  });
})();
