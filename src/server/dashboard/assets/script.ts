/**
 * The dashboard's one script (served as /assets/app-<hash>.js). Everything works without it; it only adds:
 * local-time tooltips on <time> elements, filters that apply as soon as a select changes, and "/" to jump
 * to the search box. No string ever becomes markup (the CSP requires Trusted Types for script sinks).
 */
export const SCRIPT = `(function () {
  'use strict';
  var fmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  document.querySelectorAll('time[datetime]').forEach(function (el) {
    var d = new Date(el.getAttribute('datetime'));
    if (!isNaN(d.getTime())) el.title = fmt.format(d) + ' (local time)';
  });
  document.querySelectorAll('form[data-autosubmit] select').forEach(function (sel) {
    sel.addEventListener('change', function () { sel.form.requestSubmit(); });
  });
  document.addEventListener('keydown', function (e) {
    if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
    var s = document.querySelector('input[type=search]');
    if (s) { e.preventDefault(); s.focus(); s.select(); }
  });
})();
`;
