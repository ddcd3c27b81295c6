// Hasad operator dashboard: live counters and progress bars over server-sent events.
// Plain script, no build step. Text is set with textContent only (never innerHTML).
(function () {
  'use strict';
  var body = document.body;
  var src = body.getAttribute('data-events');
  if (!src || !window.EventSource) return;
  var lang = body.getAttribute('data-lang') || 'fr';
  var labels = {};
  try { labels = JSON.parse(body.getAttribute('data-labels') || '{}'); } catch (e) { labels = {}; }
  var locale = lang === 'ar' ? 'ar-MA' : lang === 'en' ? 'en-GB' : 'fr-FR';
  var nf = new Intl.NumberFormat(locale);

  function get(obj, path) {
    return path.split('.').reduce(function (o, k) { return o == null ? undefined : o[k]; }, obj);
  }
  function duration(ms) {
    if (ms == null) return '—';
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
    var s = Math.round(ms / 1000);
    if (s < 3600) return Math.floor(s / 60) + ' min ' + String(s % 60).padStart(2, '0') + ' s';
    return Math.floor(s / 3600) + ' h ' + String(Math.floor((s % 3600) / 60)).padStart(2, '0') + ' min';
  }
  function num(v) { return v == null ? '—' : nf.format(v); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  function badge(status) {
    return el('span', { 'class': 'badge st-' + status, 'data-status': status }, labels['status.' + status] || status);
  }
  function setProgress(p, run) {
    var max = run.final ? Math.max(1, run.pagesFetched) : run.expectedPages ? Math.max(run.expectedPages, run.pagesFetched + 1) : null;
    if (max == null) { p.removeAttribute('value'); p.removeAttribute('max'); return; }
    p.max = max;
    p.value = run.final ? max : run.pagesFetched;
  }
  function runRow(r) {
    var tr = el('tr', { 'data-run': r.id });
    var a = el('a', { href: '/dashboard/runs/' + encodeURIComponent(r.id) }, r.source);
    var td = el('td'); td.appendChild(a); tr.appendChild(td);
    tr.appendChild(el('td', {}, r.organization));
    td = el('td'); td.appendChild(badge(r.status)); tr.appendChild(td);
    td = el('td'); var p = el('progress', { 'data-run-progress': r.id }); setProgress(p, r); td.appendChild(p); tr.appendChild(td);
    tr.appendChild(el('td', { 'class': 'num', 'data-field': 'pagesFetched' }, num(r.pagesFetched)));
    tr.appendChild(el('td', { 'class': 'num', 'data-field': 'records' }, num(r.records)));
    tr.appendChild(el('td', { 'class': 'num', 'data-field': 'recordsPerSecond' }, r.recordsPerSecond == null ? '—' : num(r.recordsPerSecond) + ' ' + (labels['misc.perSecond'] || '/s')));
    tr.appendChild(el('td', { 'class': 'num', 'data-field': 'elapsedMs' }, duration(r.elapsedMs)));
    return tr;
  }
  function update(s) {
    document.querySelectorAll('[data-live]').forEach(function (e) {
      var v = get(s, e.getAttribute('data-live'));
      if (v === undefined && e.hasAttribute('data-default')) v = Number(e.getAttribute('data-default'));
      if (v !== undefined) e.textContent = num(v);
    });
    var tbody = document.getElementById('live-runs');
    if (tbody && s.live) {
      tbody.replaceChildren();
      if (s.live.length === 0) {
        var tr = el('tr', { 'class': 'empty' });
        tr.appendChild(el('td', { colspan: '8' }, tbody.getAttribute('data-empty')));
        tbody.appendChild(tr);
      }
      s.live.forEach(function (r) { tbody.appendChild(runRow(r)); });
    }
    var run = s.run;
    if (run) {
      document.querySelectorAll('[data-run-progress="' + run.id + '"]').forEach(function (p) { setProgress(p, run); });
      document.querySelectorAll('[data-run-status="' + run.id + '"]').forEach(function (e) { e.replaceChildren(badge(run.status)); });
      document.querySelectorAll('[data-run-field]').forEach(function (e) {
        var f = e.getAttribute('data-run-field');
        e.textContent = e.getAttribute('data-format') === 'duration' ? duration(run[f]) : num(run[f]);
      });
      if (run.final) { es.close(); refreshMain(run.status); }
    }
    // Lists the counters summarise (sources failing, runs to review, sources to approve): when a
    // count moves, the page's main part is fetched again, still without navigating.
    var watched = body.getAttribute('data-refresh-on');
    if (watched) {
      var now = watched.split(',').map(function (k) { return String(get(s, k)); }).join(',');
      if (lastWatched !== null && now !== lastWatched) refreshMain(null);
      lastWatched = now;
    }
    body.setAttribute('data-live-at', s.at);
  }
  // Once the run is over, its final counts, timeline and problems replace the page's main part
  // (fetched from the server, which escapes them), still without navigating.
  function refreshMain(status) {
    fetch(window.location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (r) { return r.text(); })
      .then(function (text) {
        var fresh = new DOMParser().parseFromString(text, 'text/html').querySelector('main');
        var main = document.querySelector('main');
        if (fresh && main) main.replaceChildren.apply(main, Array.prototype.slice.call(fresh.childNodes));
      })
      .catch(function () { /* the live figures already say the run is over */ })
      .then(function () { if (status) body.setAttribute('data-run-final', status); body.setAttribute('data-refreshed-at', String(Date.now())); });
  }
  var lastWatched = null;
  var es = new EventSource(src);
  es.onmessage = function (e) { try { update(JSON.parse(e.data)); } catch (err) { /* a bad frame: wait for the next one */ } };
  es.addEventListener('signed-out', function () { es.close(); window.location.assign('/dashboard/sign-in'); });
})();
