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
    toast.timer = setTimeout(function () {
      box.hidden = true;
    }, 8000);
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
    } catch (e) {
      /* not JSON */
    }
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

  // A server's resources or prompts page: when its server changes, the page asks whether what it
  // shows is still what the server lists (server-lists.ts); forms and results stay as they are.
  var listsStatus = document.getElementById('lists-status');

  function refreshListsStatus(name) {
    var status = document.getElementById('lists-status');
    if (!status) return;
    var server = status.getAttribute('data-live-lists');
    if (typeof name === 'string' && name !== server) return;
    var url =
      'ui/servers/' +
      encodeURIComponent(server) +
      '/lists-status?page=' +
      encodeURIComponent(status.getAttribute('data-lists-page')) +
      '&since=' +
      encodeURIComponent(status.getAttribute('data-lists-since'));
    htmx.ajax('GET', url, { target: status, swap: 'outerHTML' });
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
      .then(function (response) {
        return response.ok ? response.text() : '';
      })
      .then(rowsFrom);
  }

  function rowWithId(list, id) {
    return list.querySelector('.activity-row[data-id="' + CSS.escape(id) + '"]');
  }

  // New calls go on top; a call already shown (it was running when its row arrived) is replaced
  // by its finished row.
  function tailActivity(finishedId) {
    var list = document.querySelector('ol.activity');
    if (!list || !liveTail || !liveTail.checked) return Promise.resolve();
    var query = list.getAttribute('data-filter-query') || '';
    var after = newestStart(list);
    return fetchRows('activity?rows=1' + (query ? '&' + query : '') + (after ? '&after=' + after : '')).then(function (rows) {
      for (var i = rows.length - 1; i >= 0; i--) {
        var existing = rowWithId(list, rows[i].getAttribute('data-id'));
        if (existing) {
          replaceRow(existing, rows[i]);
          continue;
        }
        rows[i].classList.add('new');
        list.insertBefore(rows[i], list.firstChild);
      }
      var empty = document.querySelector('#activity-list .empty');
      if (empty && list.querySelector('.activity-row')) empty.remove();
      var stale = typeof finishedId === 'string' && rowWithId(list, finishedId);
      if (stale && (stale.classList.contains('outcome-running') || stale.classList.contains('outcome-waiting')))
        return refreshRows(list, [finishedId]);
    });
  }

  function parseVersions(text) {
    try {
      return JSON.parse(text || '{}') || {};
    } catch (e) {
      return {};
    }
  }

  // A call that starts or stops waiting for approval: the live tail shows it (a new row, or its
  // row's state) without waiting for the call to end. Two requests whatever the page shows — the
  // tail, and the rows still waiting all at once — and one pass at a time for a burst of events.
  var refreshWaitingRows = serialized(function () {
    var list = document.querySelector('ol.activity');
    if (!list || !liveTail || !liveTail.checked) return;
    var waiting = list.querySelectorAll('.activity-row.outcome-waiting');
    var ids = [];
    for (var i = 0; i < waiting.length; i++) ids.push(waiting[i].getAttribute('data-id'));
    return Promise.all([tailActivity(), refreshRows(list, ids)]);
  });

  // Replaces the rows of `ids` that the page shows by their state now, in one request.
  // A row shown anew keeps its highlight as a newer copy of it (its call finished) takes its place.
  function replaceRow(shown, row) {
    if (shown.classList.contains('new')) row.classList.add('new');
    shown.replaceWith(row);
  }

  function refreshRows(list, ids) {
    if (ids.length === 0) return Promise.resolve();
    var query = ids
      .map(function (id) {
        return 'id=' + encodeURIComponent(id);
      })
      .join('&');
    return fetchRows('activity?rows=1&' + query).then(function (found) {
      for (var i = 0; i < found.length; i++) {
        var shown = rowWithId(list, found[i].getAttribute('data-id'));
        if (shown) replaceRow(shown, found[i]);
      }
    });
  }

  function startPolling() {
    if (pollTimer) return;
    pollTimer = setInterval(function () {
      refreshServers();
      refreshListsStatus();
      tailActivity();
      refreshApprovalsLive();
    }, POLL_MS);
  }

  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = null;
  }

  if ((servers || listsStatus || liveTail || hasApprovalsBadge()) && window.EventSource) {
    var stream = new EventSource('ui/events');
    var wasCut = false;
    stream.addEventListener('open', function () {
      stopPolling();
      // Whatever changed while the stream was cut.
      if (wasCut) {
        refreshServers();
        refreshListsStatus();
        tailActivity();
        refreshApprovalsLive();
      }
      wasCut = false;
      document.documentElement.setAttribute('data-live', 'stream');
    });
    stream.addEventListener('error', function () {
      wasCut = true;
      document.documentElement.setAttribute('data-live', 'polling');
      startPolling();
    });
    // The first event of every connect: what changed since the page was rendered (or since the
    // last connect) is fetched anew, so that nothing that happened before the stream started is missed.
    var versions = parseVersions(document.body.getAttribute('data-live-versions'));
    stream.addEventListener('versions', function (event) {
      var now = parseVersions(event.data);
      if (now.servers !== versions.servers) {
        refreshServers();
        refreshListsStatus();
      }
      if (now.approvals !== versions.approvals) {
        refreshApprovalsLive();
        refreshWaitingRows();
      }
      versions = now;
    });
    stream.addEventListener('server', function (event) {
      refreshServer(event.data);
      refreshListsStatus(event.data);
    });
    stream.addEventListener('servers', function () {
      refreshServers();
      refreshListsStatus();
    });
    stream.addEventListener('activity', function (event) {
      tailActivity(event.data);
    });
    stream.addEventListener('approvals', function (event) {
      refreshApprovalsLive(event.data);
      refreshWaitingRows();
    });
    window.addEventListener('pagehide', function () {
      stream.close();
    });
  } else if (servers || listsStatus || liveTail || hasApprovalsBadge()) {
    startPolling();
  }
  if (liveTail)
    liveTail.addEventListener('change', function () {
      tailActivity();
    });

  // Disclosures a person opened (a server's output) stay open when a live update replaces their
  // card: each has a stable key in `data-disclosure`.
  var openDisclosures = {};
  document.addEventListener(
    'toggle',
    function (event) {
      var details = event.target;
      if (!(details instanceof HTMLDetailsElement) || !details.hasAttribute('data-disclosure')) return;
      var key = details.getAttribute('data-disclosure');
      if (details.open) openDisclosures[key] = true;
      else delete openDisclosures[key];
    },
    true,
  );
  document.addEventListener('htmx:afterSwap', function () {
    var all = document.querySelectorAll('details[data-disclosure]:not([open])');
    for (var i = 0; i < all.length; i++) {
      if (openDisclosures[all[i].getAttribute('data-disclosure')]) all[i].open = true;
    }
  });

  // Addresses to copy (the Connect page) are shown as the browser reaches the gateway: its
  // origin and the path prefix of `<base href>`.
  function showUrls(root) {
    var urls = root.querySelectorAll('[data-url]');
    for (var u = 0; u < urls.length; u++) {
      var href = new URL(urls[u].getAttribute('data-url'), document.baseURI).href;
      urls[u].textContent = urls[u].getAttribute('data-url') === '' ? href.replace(/\/$/, '') : href;
    }
  }
  showUrls(document);
  // A server card swapped in (a toggle, a live update) carries its MCP URL too.
  document.addEventListener('htmx:load', function (event) {
    if (event.target instanceof Element) showUrls(event.target);
  });

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
      if (next) {
        var focusable = next.querySelector('button');
        if (focusable) focusable.focus();
      }
      return;
    }
    var copy = target.closest('[data-copy]');
    if (copy) {
      var source = copy.parentElement && copy.parentElement.querySelector('[data-copy-source]');
      if (!source) return;
      var text = source.textContent;
      var done = function () {
        copy.textContent = 'Copied';
        setTimeout(function () {
          copy.textContent = 'Copy';
        }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () {
          toast('Copying was refused; select the text instead.');
        });
      } else {
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        try {
          document.execCommand('copy');
          done();
        } catch (e) {
          toast('Select the text and copy it.');
        }
      }
    }
  });
  /* approvals */
  // The nav's pending count (every page), the approvals page's list and one approval's page, kept
  // live by the stream's `approvals` events (or the polling fallback). The list is merged, not
  // replaced: a new call is added in its place, a call decided elsewhere leaves the pending list
  // (it is then under "Recent decisions"), and a card being decided, showing a decision made
  // here, or with a reason being typed is left alone. Countdowns ("1:42 left") are text only.
  function hasApprovalsBadge() {
    return Boolean(document.getElementById('approvals-badge'));
  }

  // Runs `run` (which returns a promise) one at a time; a call while it runs runs it once more after.
  function serialized(run) {
    var busy = false;
    var again = false;
    function go() {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      Promise.resolve()
        .then(run)
        .catch(function () {
          /* the next event or poll tries again */
        })
        .then(function () {
          busy = false;
          if (again) {
            again = false;
            go();
          }
        });
    }
    return go;
  }

  function fetchFragment(url, target) {
    var headers = { 'HX-Request': 'true' };
    if (target) headers['HX-Target'] = target;
    return fetch(url, { headers: headers, credentials: 'same-origin' })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html === null) return null;
        var template = document.createElement('template');
        template.innerHTML = html;
        return template.content;
      });
  }

  var refreshApprovalsBadge = serialized(function () {
    if (!hasApprovalsBadge()) return;
    return fetchFragment('ui/approvals/badge').then(function (fresh) {
      var badge = document.getElementById('approvals-badge');
      var next = fresh && fresh.getElementById('approvals-badge');
      if (badge && next) badge.replaceWith(next);
    });
  });

  function cardWithId(container, id) {
    return container.querySelector(':scope > [data-approval="' + CSS.escape(id) + '"]');
  }

  var refreshApprovalList = serialized(function () {
    var region = document.querySelector('[data-live-approvals]');
    if (!region) return;
    return fetchFragment('approvals', 'approvals-list').then(function (fresh) {
      var cards = region.querySelector('[data-approval-cards]');
      var freshCards = fresh && fresh.querySelector('[data-approval-cards]');
      if (!cards || !freshCards) return;
      var incoming = freshCards.querySelectorAll(':scope > [data-approval]');
      var wanted = {};
      for (var i = 0; i < incoming.length; i++) wanted[incoming[i].getAttribute('data-approval')] = true;
      var shown = cards.querySelectorAll(':scope > [data-approval]');
      for (var j = 0; j < shown.length; j++) {
        var card = shown[j];
        var busy = card.querySelector('.htmx-request') || card.contains(document.activeElement);
        if (!wanted[card.getAttribute('data-approval')] && card.getAttribute('data-state') === 'pending' && !busy) card.remove();
      }
      var previous = null;
      for (var k = 0; k < incoming.length; k++) {
        var existing = cardWithId(cards, incoming[k].getAttribute('data-approval'));
        if (existing) {
          previous = existing;
          continue;
        }
        var added = incoming[k];
        if (previous) previous.after(added);
        else cards.insertBefore(added, cards.firstChild);
        htmx.process(added);
        previous = added;
      }
      keepNewestDecided(cards);
      var summary = region.querySelector('[data-approvals-summary]');
      var freshSummary = fresh.querySelector('[data-approvals-summary]');
      if (summary && freshSummary) summary.textContent = freshSummary.textContent;
      var more = region.querySelector('[data-approvals-more]');
      if (more) more.remove();
      var freshMore = fresh.querySelector('[data-approvals-more]');
      if (freshMore) cards.after(freshMore);
      var recent = region.querySelector('[data-approvals-recent]');
      var freshRecent = fresh.querySelector('[data-approvals-recent]');
      if (recent && freshRecent) recent.replaceWith(freshRecent);
      tickCountdowns();
    });
  });

  // Cards decided on this page stay to show their outcome, but only the newest few: older ones
  // are under "Recent decisions", and a phone that decides all day must not pile them up.
  var DECIDED_CARDS = 3;
  function keepNewestDecided(cards) {
    var decided = Array.prototype.filter.call(cards.querySelectorAll(':scope > [data-approval]'), function (card) {
      return card.getAttribute('data-state') !== 'pending' && !card.querySelector('.htmx-request');
    });
    decided.sort(function (a, b) {
      return (Date.parse(b.getAttribute('data-decided')) || 0) - (Date.parse(a.getAttribute('data-decided')) || 0);
    });
    for (var i = DECIDED_CARDS; i < decided.length; i++) decided[i].remove();
  }

  // One approval's page: its card is fetched again once it is no longer what the page shows.
  var refreshApprovalCard = serialized(function () {
    var holder = document.querySelector('[data-live-approval]');
    var card = holder && holder.querySelector('[data-approval]');
    if (!card || card.getAttribute('data-state') !== 'pending' || card.querySelector('.htmx-request')) return;
    var id = holder.getAttribute('data-live-approval');
    return fetchFragment('approvals/' + encodeURIComponent(id), 'approval-' + id).then(function (fresh) {
      var next = fresh && fresh.querySelector('[data-approval]');
      var current = holder.querySelector('[data-approval]');
      if (!next || !current || next.getAttribute('data-state') === current.getAttribute('data-state')) return;
      if (current.querySelector('.htmx-request')) return;
      current.replaceWith(next);
      htmx.process(next);
    });
  });

  function refreshApprovalsLive(id) {
    refreshApprovalsBadge();
    refreshApprovalList();
    var holder = document.querySelector('[data-live-approval]');
    if (holder && (id === undefined || holder.getAttribute('data-live-approval') === id)) refreshApprovalCard();
  }

  // "1:42 left", counted from the time left when the card was rendered (the phone's clock may be off).
  function leftText(seconds) {
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    var mm = h > 0 ? String(m).padStart(2, '0') : String(m);
    return (h > 0 ? h + ':' : '') + mm + ':' + String(s).padStart(2, '0') + ' left';
  }

  function tickCountdowns() {
    var now = Date.now();
    var items = document.querySelectorAll('time.countdown[data-left]');
    for (var i = 0; i < items.length; i++) {
      var item = items[i];
      if (item.approvalDeadline === undefined) item.approvalDeadline = now + (Number(item.getAttribute('data-left')) || 0);
      var left = Math.max(0, Math.ceil((item.approvalDeadline - now) / 1000));
      var text = left > 0 ? leftText(left) : 'time is up';
      if (item.textContent !== text) item.textContent = text;
    }
  }

  if (document.querySelector('[data-live-approvals], [data-live-approval]')) {
    tickCountdowns();
    setInterval(tickCountdowns, 1000);
    document.addEventListener('htmx:afterSettle', tickCountdowns);
  }

  /* pairing */
  // The pairing link carries its one-time secret after "#", which never reaches the server: the
  // page reads it once, removes it from the address bar and history, and sends it with the claim.
  var pairSecret = '';
  function fillPairSecret() {
    var field = document.querySelector('[data-pair-secret]');
    if (!field) return;
    if (!pairSecret && location.hash.length > 1) {
      pairSecret = decodeURIComponent(location.hash.slice(1));
      history.replaceState(null, '', location.pathname + location.search);
    }
    if (!pairSecret) return;
    field.value = pairSecret;
    var code = document.querySelector('[data-pair-code]');
    if (code) code.hidden = true;
  }
  fillPairSecret();
  document.addEventListener('htmx:afterSwap', fillPairSecret);

  // Countdowns ("42 s left") of elements <time datetime=… data-countdown>.
  setInterval(function () {
    var items = document.querySelectorAll('[data-countdown]');
    for (var i = 0; i < items.length; i++) {
      var left = Math.max(0, Math.round((Date.parse(items[i].getAttribute('datetime')) - Date.now()) / 1000));
      items[i].textContent = left >= 60 ? Math.floor(left / 60) + ':' + String(left % 60).padStart(2, '0') : left + ' s';
    }
  }, 1000);
})();
