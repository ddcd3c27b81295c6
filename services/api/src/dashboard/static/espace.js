// Hasad institutions' space: the register form checked as the data officer types.
// Plain script, no build step. The server does the checking (the API's own rules, from the same
// zod schemas): this only posts the form to data-check and shows each field's message, with
// textContent (never innerHTML). Without script the form still works: saving checks everything.
(function () {
  'use strict';
  var form = document.querySelector('form[data-check]');
  if (!form || !window.fetch || !window.URLSearchParams || !window.FormData) return;
  var url = form.getAttribute('data-check');
  var timer = null;
  var seq = 0;

  function show(errors) {
    var byField = {};
    errors.forEach(function (e) { (byField[e.field] = byField[e.field] || []).push(e.message); });
    var outs = form.querySelectorAll('[data-error-for]');
    for (var i = 0; i < outs.length; i++) {
      var field = outs[i].getAttribute('data-error-for');
      var text = (byField[field] || []).join(' ');
      outs[i].textContent = text;
      outs[i].hidden = text === '';
      var input = form.querySelector('[name="' + field + '"]');
      if (input && input.setAttribute) {
        if (text) input.setAttribute('aria-invalid', 'true');
        else input.removeAttribute('aria-invalid');
      }
    }
    form.setAttribute('data-check-state', errors.length ? 'invalid' : 'valid');
  }

  function check() {
    var mine = ++seq;
    var data = new URLSearchParams();
    new FormData(form).forEach(function (v, k) { if (k !== 'action' && typeof v === 'string') data.append(k, v); });
    fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: data.toString() })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (answer) { if (answer && mine === seq) show(answer.errors || []); })
      .catch(function () { /* offline or signed out: saving still checks */ });
  }

  function later() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(check, 350);
  }
  form.addEventListener('input', later);
  form.addEventListener('change', later);
})();
