// refit's status page script. The page works without it (forms post and redirect); with it,
// the page follows refit's event stream and refreshes the parts that changed without a reload,
// buttons act without leaving the page, and times show in the browser's time zone.
'use strict';

(() => {
  const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? '';
  const notice = document.getElementById('notice');

  function say(message, bad) {
    if (!notice) return;
    notice.textContent = message;
    notice.classList.toggle('bad', bad === true);
  }

  function localiseTimes(root) {
    for (const element of root.querySelectorAll('time[datetime]')) {
      const date = new Date(element.getAttribute('datetime'));
      if (Number.isNaN(date.getTime())) continue;
      element.title = element.textContent;
      element.textContent = date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
    }
  }

  // Replaces the live blocks whose fingerprint (data-v) differs from the page just fetched. A
  // block marked data-shape (the tables) is replaced whole when its rows come or go. Keyboard
  // focus stays on the element with the same id, when the new page has one.
  function swap(fresh) {
    const focusedId = document.activeElement?.id;
    const replaced = [];
    for (const next of fresh.querySelectorAll('[data-live][id]')) {
      const current = document.getElementById(next.id);
      if (!current || current.dataset.v === next.dataset.v) continue;
      if (replaced.some((outer) => outer.contains(current))) continue;
      const imported = document.importNode(next, true);
      current.replaceWith(imported);
      localiseTimes(imported);
      replaced.push(imported);
    }
    if (focusedId && document.activeElement === document.body) document.getElementById(focusedId)?.focus();
  }

  let refreshing = false;
  let again = false;
  let timer;

  async function refresh() {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    try {
      const response = await fetch(location.href, {
        credentials: 'same-origin',
        headers: { accept: 'text/html' },
      });
      // Logged out elsewhere, or the session ended: the server sends the login page.
      if (response.redirected && new URL(response.url).pathname.endsWith('/login')) {
        location.assign(response.url);
        return;
      }
      if (!response.ok) return;
      swap(new DOMParser().parseFromString(await response.text(), 'text/html'));
    } catch {
      // refit is restarting: the event stream reconnects and asks again.
    } finally {
      refreshing = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  }

  const OUTCOMES = {
    'container-updated': (c) => `${c.name} updated`,
    'container-rolled-back': (c) => `${c.name} rolled back: ${c.reason}`,
    'container-failed': (c) => `${c.name} failed: ${c.reason}`,
  };

  function follow(url) {
    const source = new EventSource(url);
    let connected = false;
    // After a reconnect, events may have been missed: fetch the page once.
    source.addEventListener('ready', () => {
      if (connected) schedule();
      connected = true;
    });
    const types = ['cycle-started', 'container-checked', 'container-updating', 'cycle-finished'];
    for (const type of [...types, ...Object.keys(OUTCOMES)]) {
      source.addEventListener(type, (event) => {
        const outcome = OUTCOMES[type];
        if (outcome) {
          const data = JSON.parse(event.data);
          say(outcome(data.container), type !== 'container-updated');
        }
        schedule();
      });
    }
  }

  // Buttons: posted with the session's CSRF token, answered in the notice line.
  document.addEventListener('submit', async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-action')) return;
    const button = event.submitter;
    const question = button?.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    event.preventDefault();
    const action = button?.getAttribute('formaction') || form.getAttribute('action');
    if (button) button.disabled = true;
    try {
      const response = await fetch(action, {
        method: 'POST',
        credentials: 'same-origin',
        headers: {
          accept: 'application/json',
          'content-type': 'application/x-www-form-urlencoded',
          'x-csrf-token': meta('csrf-token'),
        },
        body: new URLSearchParams(new FormData(form)),
      });
      const answer = await response.json().catch(() => ({}));
      say(answer.message ?? (response.ok ? 'Done.' : `Refused (${response.status}).`), !response.ok);
    } catch {
      say('refit did not answer; try again.', true);
    } finally {
      if (button) button.disabled = false;
      schedule();
    }
  });

  localiseTimes(document);
  const events = document.body.dataset.events;
  if (events && 'EventSource' in window) follow(events);
})();
