// The admin page of the private upstream gateway (SPEC §7): lists the shared private endpoints through the
// REST API, approves, rejects, adds and deletes them. Plain browser JavaScript, no build step, no library.
// Everything the API returns is put in the page as text nodes, never as HTML.
'use strict';

(function () {
  const API = '/api/shared-private-endpoints';
  const TRAFFIC = '/api/shared-private-endpoints-traffic';
  const REPLICAS = '/api/replicas';
  const TOKEN_KEY = 'gateway-admin-token';
  const REFRESH_MS = 5000;

  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem(TOKEN_KEY) || '';
  let busy = false;
  let authorized = false;

  /** A DOM element with attributes and children (strings become text nodes). */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (key === 'class') node.className = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** Calls the API; resolves to {status, body}; a 401 also updates the banner. */
  async function api(method, path, body) {
    const headers = { 'Accept': 'application/json' };
    if (token) headers['Authorization'] = 'Bearer ' + token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store',
      });
    } catch (e) {
      showBanner('error', 'Gateway unreachable.', 'The admin server did not answer (' + e.message + '). Is the gateway running?');
      throw e;
    }
    let json = null;
    const text = await response.text();
    if (text) {
      try { json = JSON.parse(text); } catch (e) { json = { message: text }; }
    }
    if (response.status === 401) {
      authorized = false;
      tokenProblem(json && json.reason);
    } else {
      authorized = true;
    }
    return { status: response.status, body: json };
  }

  function tokenProblem(reason) {
    if (reason === 'token-not-configured') {
      showBanner('error', 'No admin token is configured on the gateway.',
        'Set admin.token in gateway.yaml (for example token: ${GATEWAY_ADMIN_TOKEN}); until then the API refuses every call.');
    } else if (reason === 'token-rejected') {
      showBanner('error', 'Token rejected.',
        'The token you entered does not match the gateway\'s admin.token. Check it and enter it again above.');
    } else {
      showBanner('warn', 'Token missing.',
        'Enter the admin token (admin.token of gateway.yaml) in the box at the top right to see and change the endpoints.');
    }
    $('rows').replaceChildren();
    $('summary').textContent = '';
    const empty = $('empty');
    empty.textContent = 'The endpoints appear here once a valid token is in use.';
    empty.hidden = false;
  }

  function showBanner(kind, title, text) {
    const banner = $('banner');
    banner.className = 'banner ' + kind;
    $('banner-title').textContent = title;
    $('banner-text').textContent = text;
    banner.hidden = false;
  }

  function hideBanner() {
    $('banner').hidden = true;
  }

  let toastTimer = null;
  function toast(message, error) {
    const box = $('toast');
    box.textContent = message;
    box.className = 'toast' + (error ? ' error' : '');
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, error ? 8000 : 4000);
  }

  /** The message of an error answer: field and message for a 400, the message otherwise. */
  function problem(result) {
    const body = result.body || {};
    const message = body.message || ('HTTP ' + result.status);
    return body.field ? body.field + ': ' + message : message;
  }

  let again = false;
  async function refresh() {
    if (busy) {
      // A refresh is under way with what may already be old data: run once more after it.
      again = true;
      return;
    }
    busy = true;
    try {
      const list = await api('GET', API);
      if (list.status === 401) return;
      if (list.status !== 200) {
        showBanner('error', 'The endpoints could not be read.', problem(list));
        return;
      }
      const traffic = await api('GET', TRAFFIC);
      hideBanner();
      const counts = {};
      if (traffic.status === 200) {
        for (const t of traffic.body.value) counts[t.name] = t;
        $('since').textContent = new Date(traffic.body.since).toLocaleString();
      }
      render(list.body.value, counts);
      renderReplicas(await api('GET', REPLICAS));
    } catch (e) {
      // Already shown in the banner.
    } finally {
      busy = false;
      if (again) {
        again = false;
        refresh();
      }
    }
  }

  function render(endpoints, counts) {
    const rows = endpoints.map((resource) => row(resource, counts[resource.name] || { allowed: 0, denied: 0 }));
    $('rows').replaceChildren(...rows);
    const empty = $('empty');
    empty.textContent = 'No shared private endpoints yet. Use Add to declare one.';
    empty.hidden = endpoints.length > 0;
    const byStatus = {};
    for (const r of endpoints) byStatus[r.properties.status] = (byStatus[r.properties.status] || 0) + 1;
    const parts = Object.entries(byStatus).map(([status, n]) => n + ' ' + status.toLowerCase());
    $('summary').textContent = endpoints.length + (endpoints.length === 1 ? ' endpoint' : ' endpoints')
      + (parts.length ? ' · ' + parts.join(', ') : '');
    const ids = new Set(endpoints.map((r) => r.properties.privateLinkResourceId));
    $('resource-ids').replaceChildren(...[...ids].map((id) => el('option', { value: id })));
  }

  /** Each replica, its revision, and whether it is behind the newest change in the store (SPEC §10). */
  function renderReplicas(result) {
    const note = $('replicas-problem');
    if (result.status !== 200) {
      note.textContent = 'The replicas could not be listed: ' + problem(result);
      note.hidden = false;
      return;
    }
    note.hidden = true;
    $('store-revision').textContent = String(result.body.revision);
    const rows = result.body.value.map((r) => el('tr', { 'data-replica': r.id },
      el('td', {}, r.id), el('td', {}, r.host), el('td', { class: 'num' }, String(r.proxyPort)),
      el('td', { class: 'num' }, String(r.adminPort)), el('td', {}, r.version),
      el('td', {}, r.startedAt ? new Date(r.startedAt).toLocaleString() : ''),
      el('td', { class: 'num' }, String(r.revision)),
      el('td', {}, el('span', { class: 'status ' + (r.behind ? 'status-pending' : 'status-approved') },
        r.behind ? 'Behind' : 'Latest'))));
    $('replica-rows').replaceChildren(...rows);
  }

  /** "sites/contoso-func" over "contoso · Microsoft.Web" for a long Azure resource id. */
  function resourceCell(id, groupId) {
    const parts = id.split('/');
    const name = parts[parts.length - 1] || id;
    const group = parts.indexOf('resourceGroups') >= 0 ? parts[parts.indexOf('resourceGroups') + 1] : '';
    const provider = parts.indexOf('providers') >= 0 ? parts[parts.indexOf('providers') + 1] : '';
    return el('td', { title: id },
      el('span', { class: 'name' }, name),
      el('span', { class: 'sub' }, [group, provider, groupId].filter(Boolean).join(' · ')));
  }

  function row(resource, traffic) {
    const p = resource.properties;
    const status = p.status;
    const name = resource.name;
    const ips = p.privateIps.length ? p.privateIps.map((ip) => el('span', null, ip)) : [el('span', { class: 'muted' }, '—')];
    if (p.linkId !== undefined) ips.push(el('span', { class: 'sub' }, 'link id ' + p.linkId));
    return el('tr', { 'data-name': name, 'data-status': status },
      el('td', null, el('span', { class: 'name' }, name),
        p.requestMessage ? el('span', { class: 'sub' }, '“' + p.requestMessage + '”') : null),
      resourceCell(p.privateLinkResourceId, p.groupId),
      el('td', { class: 'ips' }, ips),
      el('td', null, el('span', { class: 'badge status status-' + status.toLowerCase() }, status)),
      el('td', { class: 'description' }, p.description || el('span', { class: 'muted' }, '—')),
      el('td', { class: 'num allowed' }, String(traffic.allowed)),
      el('td', { class: 'num denied' + (traffic.denied > 0 ? ' nonzero' : '') }, String(traffic.denied)),
      el('td', null, el('div', { class: 'actions' },
        el('button', {
          type: 'button', class: 'btn btn-approve', 'data-action': 'approve', disabled: status === 'Approved',
          title: 'Allow calls through ' + name, onclick: () => setStatus(name, 'approve', p.privateIps),
        }, 'Approve'),
        el('button', {
          type: 'button', class: 'btn btn-reject', 'data-action': 'reject', disabled: status === 'Rejected',
          title: 'Refuse calls through ' + name, onclick: () => setStatus(name, 'reject', p.privateIps),
        }, 'Reject'),
        el('button', {
          type: 'button', class: 'btn btn-delete', 'data-action': 'delete', title: 'Remove ' + name,
          onclick: () => remove(name),
        }, 'Delete'))));
  }

  async function setStatus(name, action, ips) {
    const result = await api('POST', API + '/' + encodeURIComponent(name) + '/' + action, {});
    if (result.status === 200) {
      const from = ips.length ? ' from ' + ips.join(', ') : '';
      toast(action === 'approve'
        ? 'Approved ' + name + ': calls' + from + ' are now allowed.'
        : 'Rejected ' + name + ': calls' + from + ' are now refused.');
    } else if (result.status !== 401) {
      toast('Could not ' + action + ' ' + name + ': ' + problem(result), true);
    }
    await refresh();
  }

  async function remove(name) {
    if (!window.confirm('Delete the shared private endpoint ' + name + '? Calls through it will be refused.')) return;
    const result = await api('DELETE', API + '/' + encodeURIComponent(name));
    if (result.status === 204) toast('Deleted ' + name + '.');
    else if (result.status !== 401) toast('Could not delete ' + name + ': ' + problem(result), true);
    await refresh();
  }

  async function add(event) {
    event.preventDefault();
    const form = $('add-form');
    const error = $('add-error');
    for (const input of form.querySelectorAll('input')) input.classList.remove('invalid');
    error.hidden = true;
    const value = (field) => form.elements[field].value.trim();
    const name = value('name');
    if (!name) {
      fieldError('name', 'name: required');
      return;
    }
    const properties = {
      groupId: value('groupId'),
      privateLinkResourceId: value('privateLinkResourceId'),
      privateIps: value('privateIps').split(',').map((s) => s.trim()).filter(Boolean),
    };
    if (value('requestMessage')) properties.requestMessage = value('requestMessage');
    if (value('linkId')) {
      properties.linkId = /^\d+$/.test(value('linkId')) ? Number(value('linkId')) : value('linkId');
    }
    const result = await api('PUT', API + '/' + encodeURIComponent(name), { properties });
    if (result.status === 201 || result.status === 200) {
      toast((result.status === 201 ? 'Created ' : 'Updated ') + name + (result.status === 201 ? ' (Pending).' : '.'));
      form.reset();
      $('add-panel').hidden = true;
      await refresh();
    } else if (result.status !== 401) {
      fieldError(result.body && result.body.field, problem(result));
    }
  }

  function fieldError(field, message) {
    const error = $('add-error');
    error.textContent = message;
    error.hidden = false;
    if (!field) return;
    const base = field.replace(/\[\d+\]$/, '');
    const input = $('add-form').querySelector('[data-field="' + CSS.escape(base) + '"]');
    if (input) {
      input.classList.add('invalid');
      input.focus();
    }
  }

  function useToken(event) {
    event.preventDefault();
    token = $('token').value.trim();
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
    refresh();
  }

  function forgetToken() {
    token = '';
    $('token').value = '';
    sessionStorage.removeItem(TOKEN_KEY);
    refresh();
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('token').value = token;
    $('token-form').addEventListener('submit', useToken);
    $('forget-token').addEventListener('click', forgetToken);
    $('refresh').addEventListener('click', refresh);
    $('add-toggle').addEventListener('click', () => {
      $('add-panel').hidden = !$('add-panel').hidden;
      if (!$('add-panel').hidden) $('add-form').elements.name.focus();
    });
    $('add-cancel').addEventListener('click', () => { $('add-panel').hidden = true; });
    $('add-form').addEventListener('submit', add);
    refresh();
    setInterval(() => {
      if (authorized && document.visibilityState === 'visible') refresh();
    }, REFRESH_MS);
  });
}());
