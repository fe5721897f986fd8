// The admin page of the private upstream gateway (SPEC §7, §12): lists the shared private endpoints through the
// REST API one page at a time, approves, rejects, adds and deletes them, shows each one's traffic and audit
// history, and follows changes made elsewhere through the API's server-sent events. Plain browser JavaScript,
// no build step, no library. Everything the API returns is put in the page as text nodes, never as HTML.
'use strict';

(function () {
  const API = '/api/shared-private-endpoints';
  const SUMMARY = '/api/shared-private-endpoints-summary';
  const TRAFFIC = '/api/shared-private-endpoints-traffic';
  const REPLICAS = '/api/replicas';
  const AUDIT = '/api/audit';
  const EVENTS = '/api/events';
  const TOKEN_KEY = 'gateway-admin-token';
  const STATUSES = ['Pending', 'Approved', 'Rejected', 'Disconnected', 'Timeout'];
  const REFRESH_MS = 5000;
  const SEARCH_DELAY_MS = 250;
  // The DOM holds one page of each list whatever the number of endpoints: 100,000 rows would take seconds
  // to lay out and make every update slow.
  const PAGE_SIZE = 100;
  const PENDING_PAGE_SIZE = 5;
  // The server sends a comment every 15 s; three missed mean the connection is gone without having said so.
  const LIVE_SILENCE_MS = 45000;
  const LIVE_BACKOFF_MAX_MS = 30000;

  const $ = (id) => document.getElementById(id);
  const number = (n) => Number(n).toLocaleString();
  let token = sessionStorage.getItem(TOKEN_KEY) || '';
  let authorized = false;
  let summary = null;
  /** Set when a list could not be read, so that the banner saying so stays up after the other calls. */
  let listProblem = false;

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
    stopLive();
    mainList.clear();
    pendingList.clear();
    summary = null;
    renderSummary();
    closeHistory();
    const empty = $('empty');
    empty.textContent = 'The endpoints appear here once a valid token is in use.';
    empty.hidden = false;
  }

  /** {@code kind} error or warn; {@code role} marks the reader's banner, which only a new token or write clears. */
  function showBanner(kind, title, text, role) {
    const banner = $('banner');
    banner.className = 'banner ' + kind;
    banner.dataset.role = role ? 'true' : '';
    $('banner-title').textContent = title;
    $('banner-text').textContent = text;
    banner.hidden = false;
  }

  function hideBanner(evenRole) {
    if (evenRole || $('banner').dataset.role !== 'true') $('banner').hidden = true;
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

  /** SPEC §12: a reader's write gets 403 and changes nothing; say so where the operator looks. */
  function readOnly(result, what) {
    const detail = result.body && result.body.message ? ' (' + result.body.message + ')' : '';
    showBanner('warn', 'Your token may only read.', 'The gateway refused to ' + what + detail
      + '. Enter an approver token above to approve, reject, add or delete endpoints.', true);
    toast('Your token may only read: could not ' + what + '.', true);
  }

  // ---- Addresses: a live change must leave a view searched by address exactly as the server would. ----

  /** An IPv4 or IPv6 address as {bits, value: BigInt}, or null. */
  function parseAddress(text) {
    const s = text.trim();
    const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
    if (v4) {
      const parts = v4.slice(1).map(Number);
      if (parts.some((p) => p > 255)) return null;
      return { bits: 32, value: parts.reduce((a, p) => (a << 8n) | BigInt(p), 0n) };
    }
    if (!s.includes(':') || !/^[0-9a-fA-F:.]+$/.test(s)) return null;
    let head = s;
    const lastColon = s.lastIndexOf(':');
    if (s.slice(lastColon + 1).includes('.')) {
      // An IPv4 tail such as ::ffff:10.0.0.1 stands for the last two groups.
      const four = parseAddress(s.slice(lastColon + 1));
      if (!four || four.bits !== 32) return null;
      head = s.slice(0, lastColon + 1) + (four.value >> 16n).toString(16) + ':'
        + (four.value & 0xffffn).toString(16);
    }
    const halves = head.split('::');
    if (halves.length > 2) return null;
    const groups = (part) => (part === '' ? [] : part.split(':'));
    const left = groups(halves[0]);
    const right = halves.length === 2 ? groups(halves[1]) : [];
    const missing = 8 - left.length - right.length;
    if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
    const full = left.concat(new Array(halves.length === 2 ? missing : 0).fill('0'), right);
    if (full.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
    return { bits: 128, value: full.reduce((a, g) => (a << 16n) | BigInt(parseInt(g, 16)), 0n) };
  }

  /** Whether {@code entry} of privateIps (an address or a prefix a/n) holds {@code address}. */
  function holds(entry, address) {
    const slash = entry.indexOf('/');
    const base = parseAddress(slash < 0 ? entry : entry.slice(0, slash));
    if (!base || base.bits !== address.bits) return false;
    const length = slash < 0 ? base.bits : Number(entry.slice(slash + 1));
    const shift = BigInt(base.bits - length);
    return (base.value >> shift) === (address.value >> shift);
  }

  // ---- The two lists: the pending queue and the main table, each one page of the API at a time. ----

  /**
   * One paged view of the collection: the URL of each page seen so far (the first built here, the next ones
   * the server's nextLink, opaque), the rows of the page shown, and live changes applied to them.
   */
  class EndpointList {
    constructor(options) {
      Object.assign(this, options);
      this.pages = [];
      this.index = 0;
      this.next = null;
      this.seq = 0;
      this.loading = false;
      this.queued = [];
      this.rows = new Map();
      this.loaded = false;
    }

    url() {
      const query = new URLSearchParams({ top: String(this.pageSize) });
      const filter = this.filter();
      if (filter.status) query.set('status', filter.status);
      if (filter.search) query.set('search', filter.search);
      return API + '?' + query;
    }

    /** Loads the first, next, previous or same page; false when another load overtook this one. */
    async load(move) {
      let pages = this.pages;
      let index = this.index;
      if (move === 'first' || pages.length === 0) {
        pages = [this.url()];
        index = 0;
      } else if (move === 'next') {
        if (!this.next) return true;
        pages = pages.slice(0, index + 1).concat([this.next]);
        index++;
      } else if (move === 'previous') {
        if (index === 0) return true;
        index--;
      }
      const seq = ++this.seq;
      this.loading = true;
      let result;
      try {
        result = await api('GET', pages[index]);
      } finally {
        if (seq === this.seq) this.loading = false;
      }
      if (seq !== this.seq) return false;
      if (result.status === 401) return true;
      if (result.status === 400 && result.body && result.body.field === 'skipToken' && index > 0) {
        // The page's token went stale (the set changed under it): start over rather than show nothing.
        return this.load('first');
      }
      if (result.status !== 200) {
        this.queued = [];
        listProblem = true;
        showBanner('error', 'The endpoints could not be read.', problem(result));
        return true;
      }
      this.pages = pages;
      this.index = index;
      this.next = result.body.nextLink || null;
      this.render(result.body.value);
      // Changes that arrived while the page was on its way may not be in it; applying one twice is harmless.
      const queued = this.queued;
      this.queued = [];
      queued.forEach((change) => this.apply(change));
      return true;
    }

    render(resources) {
      this.rows = new Map();
      const rows = resources.map((resource) => {
        const tr = this.rowOf(resource);
        this.rows.set(resource.name, { resource, tr });
        return tr;
      });
      this.tbody.replaceChildren(...rows);
      this.loaded = true;
      this.rendered();
    }

    clear() {
      this.seq++;
      this.loading = false;
      this.queued = [];
      this.pages = [];
      this.index = 0;
      this.next = null;
      this.rows = new Map();
      this.loaded = false;
      this.tbody.replaceChildren();
      this.rendered();
    }

    names() {
      return [...this.rows.keys()];
    }

    matches(resource) {
      const filter = this.filter();
      if (filter.status && resource.properties.status.toLowerCase() !== filter.status.toLowerCase()) return false;
      if (!filter.search) return true;
      // As the server: the name holds the text, or the text is an address one of the private IPs holds.
      if (resource.name.toLowerCase().includes(filter.search.toLowerCase())) return true;
      const address = parseAddress(filter.search);
      return address !== null && resource.properties.privateIps.some((entry) => holds(entry, address));
    }

    /** Whether {@code name} sorts into the page shown: after the previous page's rows and before the next's. */
    inPage(name) {
      const names = this.names();
      if (names.length === 0) return this.index === 0 && !this.next;
      const afterStart = this.index === 0 || compareNames(name, names[0]) > 0;
      const beforeEnd = !this.next || compareNames(name, names[names.length - 1]) < 0;
      return afterStart && beforeEnd;
    }

    /**
     * A created, updated or deleted endpoint ({"name","change","resource"}): its row changes, leaves when it no
     * longer matches the filter, or comes in when it now does and sorts into this page. True when a row came.
     */
    apply(change) {
      if (!this.loaded && !this.loading) return false;
      if (this.loading) {
        this.queued.push(change);
        return false;
      }
      const name = change.name;
      const shown = this.rows.get(name);
      const resource = change.change === 'deleted' ? null : change.resource;
      if (!resource || !this.matches(resource)) {
        if (shown) {
          shown.tr.remove();
          this.rows.delete(name);
          this.rendered();
          if (this.refill && this.next) this.refillSoon();
        }
        return false;
      }
      if (shown) {
        const tr = this.rowOf(resource);
        shown.tr.replaceWith(tr);
        this.rows.set(name, { resource, tr });
        this.rendered();
        return false;
      }
      if (!this.inPage(name)) return false;
      const tr = this.rowOf(resource);
      const before = this.names().find((other) => compareNames(other, name) > 0);
      if (before) this.rows.get(before).tr.before(tr);
      else this.tbody.append(tr);
      // Keep the map in the table's order: inPage reads its first and last names.
      const entries = [...this.rows.entries(), [name, { resource, tr }]];
      entries.sort((a, b) => compareNames(a[0], b[0]));
      this.rows = new Map(entries);
      this.rendered();
      return true;
    }
  }

  /** A queue worked through from its top should not run dry while more wait on the next page. */
  EndpointList.prototype.refillSoon = function () {
    clearTimeout(this.refillTimer);
    this.refillTimer = setTimeout(() => this.load('same').catch(() => {}), 300);
  };

  /** The API lists by name, as Java compares strings: by UTF-16 code unit, as JavaScript's < does. */
  function compareNames(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
  }

  const view = { status: '', search: '' };
  let firstRowsMarked = false;

  const mainList = new EndpointList({
    pageSize: PAGE_SIZE,
    tbody: $('rows'),
    filter: () => view,
    rowOf: (resource) => row(resource),
    rendered: () => renderMain(),
  });

  const pendingList = new EndpointList({
    pageSize: PENDING_PAGE_SIZE,
    tbody: $('pending-rows'),
    filter: () => ({ status: 'Pending', search: '' }),
    refill: true,
    rowOf: (resource) => pendingRow(resource),
    rendered: () => renderPending(),
  });

  function renderMain() {
    const list = mainList;
    const shown = list.rows.size;
    const empty = $('empty');
    if (list.loaded) {
      empty.textContent = view.search || view.status
        ? 'No endpoint matches' + (view.status ? ' the status ' + view.status : '')
          + (view.search ? (view.status ? ' and' : '') + ' the search “' + view.search + '”' : '') + '.'
        : 'No shared private endpoints yet. Use Add to declare one.';
      empty.hidden = shown > 0;
      if (!firstRowsMarked) {
        // What the load-time measurement of the scale test reads: navigation start to the first page drawn.
        firstRowsMarked = true;
        performance.mark('rows-rendered');
      }
    }
    const start = list.index * list.pageSize + 1;
    let total = null;
    if (!view.search && summary) total = view.status ? (summary.byStatus[view.status] || 0) : summary.total;
    let range = '';
    if (shown > 0) {
      range = 'Endpoints ' + number(start) + '–' + number(start + shown - 1)
        + (total !== null ? ' of ' + number(total) : list.next ? ' of more' : '');
    }
    $('range').textContent = range;
    $('first-page').parentElement.classList.toggle('single', list.index === 0 && !list.next);
    $('first-page').disabled = list.index === 0;
    $('prev-page').disabled = list.index === 0;
    $('next-page').disabled = !list.next;
    const ids = new Set([...list.rows.values()].map((r) => r.resource.properties.privateLinkResourceId));
    $('resource-ids').replaceChildren(...[...ids].map((id) => el('option', { value: id })));
  }

  function renderPending() {
    const list = pendingList;
    const shown = list.rows.size;
    $('pending-panel').hidden = shown === 0 && list.index === 0;
    const start = list.index * list.pageSize + 1;
    const total = summary ? summary.byStatus.Pending || 0 : null;
    $('pending-range').textContent = shown === 0 ? ''
      : number(start) + '–' + number(start + shown - 1) + (total !== null ? ' of ' + number(total) : '');
    $('pending-prev').disabled = list.index === 0;
    $('pending-next').disabled = !list.next;
    $('pending-prev').parentElement.hidden = list.index === 0 && !list.next;
  }

  // ---- Summary, traffic and replicas ----

  async function loadSummary() {
    const result = await api('GET', SUMMARY);
    if (result.status !== 200) return;
    summary = result.body;
    summary.byStatus = summary.byStatus || {};
    renderSummary();
  }

  let summaryTimer = null;
  /** Live changes come in bursts (a file edit, an import): one summary call for the lot. */
  function scheduleSummary() {
    clearTimeout(summaryTimer);
    summaryTimer = setTimeout(() => loadSummary().catch(() => {}), 200);
  }

  function renderSummary() {
    const counts = summary ? summary.byStatus : {};
    for (const button of $('status-filter').querySelectorAll('button')) {
      const status = button.dataset.status;
      const n = !summary ? null : status ? counts[status] || 0 : summary.total;
      const count = button.querySelector('.count');
      count.textContent = n === null ? '' : number(n);
      count.dataset.count = n === null ? '' : String(n);
    }
    $('pending-count').textContent = summary ? '(' + number(counts.Pending || 0) + ')' : '';
    if (!summary) {
      $('summary').textContent = '';
    } else {
      const parts = STATUSES.filter((s) => counts[s]).map((s) => number(counts[s]) + ' ' + s.toLowerCase());
      $('summary').textContent = number(summary.total) + (summary.total === 1 ? ' endpoint' : ' endpoints')
        + (parts.length ? ' · ' + parts.join(', ') : '');
    }
    renderMain();
    renderPending();
  }

  const traffic = new Map();
  let trafficSeq = 0;
  /** One call for the rows shown: the API answers at most 1000 names, a page is 100. */
  async function refreshTraffic() {
    const names = mainList.names();
    if (names.length === 0) return;
    const seq = ++trafficSeq;
    const result = await api('GET', TRAFFIC + '?' + names.map((n) => 'name=' + encodeURIComponent(n)).join('&'));
    if (seq !== trafficSeq || result.status !== 200) return;
    $('since').textContent = new Date(result.body.since).toLocaleString();
    for (const t of result.body.value) traffic.set(t.name, t);
    for (const [name, shown] of mainList.rows) showTraffic(shown.tr, traffic.get(name));
  }

  let trafficTimer = null;
  function scheduleTraffic() {
    clearTimeout(trafficTimer);
    trafficTimer = setTimeout(() => refreshTraffic().catch(() => {}), 200);
  }

  function showTraffic(tr, t) {
    const allowed = tr.querySelector('td.allowed');
    const denied = tr.querySelector('td.denied');
    const decision = tr.querySelector('td.decision');
    if (!t) return;
    allowed.textContent = String(t.allowed);
    denied.textContent = String(t.denied);
    denied.classList.toggle('nonzero', t.denied > 0);
    const last = t.lastDecision;
    if (!last) {
      decision.replaceChildren(el('span', { class: 'muted' }, 'no call yet'));
      decision.dataset.decision = '';
      return;
    }
    const when = new Date(last.time);
    const today = when.toDateString() === new Date().toDateString();
    decision.dataset.decision = last.allowed ? 'allowed' : 'denied';
    decision.replaceChildren(
      el('span', { class: last.allowed ? 'decision-allowed' : 'decision-denied' },
        last.allowed ? 'allowed' : last.reason || 'denied'),
      el('time', { class: 'sub', datetime: last.time, title: when.toLocaleString() },
        today ? when.toLocaleTimeString() : when.toLocaleString()));
  }

  async function refreshReplicas() {
    renderReplicas(await api('GET', REPLICAS));
  }

  /** Each replica, its revision, and whether it is behind the newest change in the store (SPEC §10). */
  function renderReplicas(result) {
    if (result.status === 401) return;
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

  /** Summary and both lists (first or same page), then what depends on the rows shown. */
  async function loadAll(move) {
    try {
      listProblem = false;
      await Promise.all([loadSummary(), pendingList.load(move), mainList.load(move)]);
      if (!authorized) return;
      if (!listProblem) hideBanner(false);
      if (!live.controller) startLive();
      await Promise.all([refreshTraffic(), refreshReplicas()]);
    } catch (e) {
      // Already shown in the banner.
    }
  }

  // ---- Rows ----

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

  function ipsCell(p) {
    const ips = p.privateIps.length ? p.privateIps.map((ip) => el('span', null, ip))
      : [el('span', { class: 'muted' }, '—')];
    if (p.linkId !== undefined) ips.push(el('span', { class: 'sub' }, 'link id ' + p.linkId));
    return el('td', { class: 'ips' }, ips);
  }

  function statusButtons(name, p) {
    return [
      el('button', {
        type: 'button', class: 'btn btn-approve', 'data-action': 'approve', disabled: p.status === 'Approved',
        title: 'Allow calls through ' + name, onclick: () => setStatus(name, 'approve', p.privateIps),
      }, 'Approve'),
      el('button', {
        type: 'button', class: 'btn btn-reject', 'data-action': 'reject', disabled: p.status === 'Rejected',
        title: 'Refuse calls through ' + name, onclick: () => setStatus(name, 'reject', p.privateIps),
      }, 'Reject'),
    ];
  }

  function historyButton(name) {
    return el('button', {
      type: 'button', class: 'btn btn-history', 'data-action': 'history', title: 'Changes to ' + name,
      'aria-controls': 'history', onclick: (event) => openHistory(name, event.currentTarget),
    }, 'History');
  }

  function row(resource) {
    const p = resource.properties;
    const name = resource.name;
    const tr = el('tr', { 'data-name': name, 'data-status': p.status },
      el('td', null, el('span', { class: 'name' }, name),
        p.requestMessage ? el('span', { class: 'sub' }, '“' + p.requestMessage + '”') : null),
      resourceCell(p.privateLinkResourceId, p.groupId),
      ipsCell(p),
      el('td', null, el('span', { class: 'badge status status-' + p.status.toLowerCase() }, p.status)),
      el('td', { class: 'description' }, p.description || el('span', { class: 'muted' }, '—')),
      el('td', { class: 'num allowed' }, '…'),
      el('td', { class: 'num denied' }, '…'),
      el('td', { class: 'decision' }),
      el('td', null, el('div', { class: 'actions' }, statusButtons(name, p), historyButton(name),
        el('button', {
          type: 'button', class: 'btn btn-delete', 'data-action': 'delete', title: 'Remove ' + name,
          onclick: () => remove(name),
        }, 'Delete'))));
    showTraffic(tr, traffic.get(name));
    return tr;
  }

  function pendingRow(resource) {
    const p = resource.properties;
    const name = resource.name;
    // One line each, so that the queue leaves the table in sight on a laptop screen.
    const id = p.privateLinkResourceId;
    return el('tr', { 'data-name': name, 'data-status': p.status },
      el('td', null, el('span', { class: 'name' }, name)),
      el('td', { title: id }, id.split('/').pop() || id),
      el('td', { class: 'ips' }, p.privateIps.join(', ') || '—'),
      el('td', { class: 'request' }, p.requestMessage || el('span', { class: 'muted' }, '—')),
      el('td', null, el('div', { class: 'actions' }, statusButtons(name, p), historyButton(name))));
  }

  // ---- Changes ----

  /** A change, from this page's own write or from the event stream, applied to everything shown. */
  function applyChange(change) {
    const came = mainList.apply(change);
    pendingList.apply(change);
    scheduleSummary();
    if (came) scheduleTraffic();
    if (historyName !== null && historyName === change.name) loadHistory().catch(() => {});
  }

  async function setStatus(name, action, ips) {
    const result = await api('POST', API + '/' + encodeURIComponent(name) + '/' + action, {});
    if (result.status === 200) {
      hideBanner(true);
      const from = ips.length ? ' from ' + ips.join(', ') : '';
      toast(action === 'approve'
        ? 'Approved ' + name + ': calls' + from + ' are now allowed.'
        : 'Rejected ' + name + ': calls' + from + ' are now refused.');
      applyChange({ name: result.body.name, change: 'updated', resource: result.body });
    } else if (result.status === 403) {
      readOnly(result, action + ' ' + name);
    } else if (result.status === 404) {
      toast('Could not ' + action + ' ' + name + ': it no longer exists.', true);
      applyChange({ name, change: 'deleted' });
    } else if (result.status !== 401) {
      toast('Could not ' + action + ' ' + name + ': ' + problem(result), true);
    }
  }

  async function remove(name) {
    if (!window.confirm('Delete the shared private endpoint ' + name + '? Calls through it will be refused.')) return;
    const result = await api('DELETE', API + '/' + encodeURIComponent(name));
    if (result.status === 204 || result.status === 404) {
      if (result.status === 204) {
        hideBanner(true);
        toast('Deleted ' + name + '.');
      }
      applyChange({ name, change: 'deleted' });
    } else if (result.status === 403) {
      readOnly(result, 'delete ' + name);
    } else if (result.status !== 401) {
      toast('Could not delete ' + name + ': ' + problem(result), true);
    }
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
      hideBanner(true);
      toast((result.status === 201 ? 'Created ' : 'Updated ') + name + (result.status === 201 ? ' (Pending).' : '.'));
      form.reset();
      showAddPanel(false);
      applyChange({ name: result.body.name, change: result.status === 201 ? 'created' : 'updated',
        resource: result.body });
    } else if (result.status === 403) {
      readOnly(result, 'add ' + name);
      fieldError(null, 'Your token may only read: the gateway refused to add ' + name + '.');
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

  function showAddPanel(shown) {
    $('add-panel').hidden = !shown;
    $('add-toggle').setAttribute('aria-expanded', String(shown));
    if (shown) $('add-form').elements.name.focus();
  }

  // ---- Audit history (SPEC §12) ----

  let historyName = null;
  let historyOpener = null;
  let historySeq = 0;

  async function openHistory(name, opener) {
    historyName = name;
    historyOpener = opener;
    $('history-name').textContent = name;
    $('history-rows').replaceChildren();
    $('history-empty').hidden = true;
    $('history-problem').hidden = true;
    $('history').hidden = false;
    document.body.classList.add('history-open');
    $('history-title').focus();
    try {
      await loadHistory();
    } catch (e) {
      // Already shown in the banner.
    }
  }

  function closeHistory() {
    if ($('history').hidden) return;
    $('history').hidden = true;
    document.body.classList.remove('history-open');
    historyName = null;
    historySeq++;
    if (historyOpener && historyOpener.isConnected) historyOpener.focus();
    historyOpener = null;
  }

  async function loadHistory() {
    const name = historyName;
    const seq = ++historySeq;
    const result = await api('GET', AUDIT + '?endpoint=' + encodeURIComponent(name));
    if (seq !== historySeq || result.status === 401) return;
    if (result.status !== 200) {
      $('history-problem').textContent = 'The history could not be read: ' + problem(result);
      $('history-problem').hidden = false;
      return;
    }
    $('history-problem').hidden = true;
    const records = result.body.value;
    $('history-rows').replaceChildren(...records.map(historyItem));
    $('history-empty').hidden = records.length > 0;
  }

  function historyItem(record) {
    const before = record.statusBefore;
    const after = record.statusAfter;
    const change = !before ? (after ? 'created ' + after : '')
      : !after ? 'deleted, was ' + before
        : before === after ? 'status ' + after : before + ' → ' + after;
    const when = new Date(record.time);
    return el('li', { 'data-action': record.action },
      el('div', { class: 'history-line' },
        el('span', { class: 'history-action' }, record.action),
        el('time', { datetime: record.time, title: record.time }, when.toLocaleString())),
      el('div', { class: 'history-change' }, change),
      el('div', { class: 'sub' }, 'by ' + record.actor + ' on ' + record.replica),
      record.description ? el('div', { class: 'history-description' }, '“' + record.description + '”') : null);
  }

  // ---- Live updates: GET /api/events (SPEC §12), read with fetch to send the bearer token ----

  const live = { controller: null, timer: null, backoff: 1000, opened: false, silence: null };

  function setLive(state, text) {
    $('live').dataset.state = state;
    $('live-text').textContent = text;
  }

  function startLive() {
    stopLive();
    live.backoff = 1000;
    live.opened = false;
    connectLive();
  }

  function stopLive() {
    if (live.controller) live.controller.abort();
    live.controller = null;
    clearTimeout(live.timer);
    clearTimeout(live.silence);
    setLive('off', 'Live updates off');
  }

  async function connectLive() {
    const controller = new AbortController();
    live.controller = controller;
    setLive('connecting', 'Connecting live updates…');
    try {
      const headers = { 'Accept': 'text/event-stream' };
      if (token) headers['Authorization'] = 'Bearer ' + token;
      const response = await fetch(EVENTS, { headers, cache: 'no-store', signal: controller.signal });
      if (response.status === 401) {
        // The token stopped working: the next call of the page says so in the banner; no retry with it.
        if (live.controller === controller) stopLive();
        return;
      }
      if (response.status !== 200 || !response.body) throw new Error('HTTP ' + response.status);
      setLive('on', 'Live');
      live.backoff = 1000;
      if (live.opened) {
        // Reconnected: what changed while the stream was down never came; read the view again.
        loadAll('same');
      }
      live.opened = true;
      await readEvents(response.body, controller);
    } catch (e) {
      // The stream failed or was aborted; retried below unless this connection was stopped or replaced.
    }
    if (live.controller !== controller) return;
    clearTimeout(live.silence);
    const delay = live.backoff;
    live.backoff = Math.min(live.backoff * 2, LIVE_BACKOFF_MAX_MS);
    setLive('retrying', 'Live updates lost, retrying in ' + Math.round(delay / 1000) + ' s');
    live.timer = setTimeout(() => {
      if (live.controller === controller) connectLive();
    }, delay);
  }

  /** The text/event-stream format: lines end with CR LF, LF or CR; a blank line ends an event. */
  async function readEvents(body, controller) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    const lineEnd = /\r\n|\r|\n/g;
    let buffer = '';
    let type = '';
    let data = [];
    const quiet = () => {
      clearTimeout(live.silence);
      live.silence = setTimeout(() => controller.abort(), LIVE_SILENCE_MS);
    };
    quiet();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      quiet();
      buffer += decoder.decode(value, { stream: true });
      let start = 0;
      lineEnd.lastIndex = 0;
      let match;
      while ((match = lineEnd.exec(buffer)) !== null) {
        // A CR last in the buffer may be the first half of a CR LF still on its way.
        if (match[0] === '\r' && lineEnd.lastIndex === buffer.length) break;
        const line = buffer.slice(start, match.index);
        start = lineEnd.lastIndex;
        if (line === '') {
          if (data.length) dispatch(type || 'message', data.join('\n'));
          type = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue; // a comment: the server's keep-alive
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let text = colon < 0 ? '' : line.slice(colon + 1);
        if (text.startsWith(' ')) text = text.slice(1);
        if (field === 'event') type = text;
        else if (field === 'data') data.push(text);
        else if (field === 'retry' && /^\d+$/.test(text)) live.backoff = Math.max(1000, Number(text));
      }
      buffer = buffer.slice(start);
    }
  }

  function dispatch(type, text) {
    let data;
    try {
      data = JSON.parse(text);
    } catch (e) {
      return; // not ours to understand; the stream goes on
    }
    if (type === 'endpoint' && data && typeof data.name === 'string') {
      if (data.change !== 'deleted' && !(data.resource && data.resource.properties)) return;
      applyChange(data);
    } else if (type === 'reset') {
      loadAll('same');
    }
  }

  // ---- Controls ----

  function useToken(event) {
    event.preventDefault();
    token = $('token').value.trim();
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
    stopLive();
    hideBanner(true);
    loadAll('first');
  }

  function forgetToken() {
    token = '';
    $('token').value = '';
    sessionStorage.removeItem(TOKEN_KEY);
    stopLive();
    hideBanner(true);
    loadAll('first');
  }

  function filterBy(status) {
    view.status = status;
    for (const button of $('status-filter').querySelectorAll('button')) {
      button.setAttribute('aria-pressed', String(button.dataset.status === status));
    }
    showPage(mainList, 'first');
  }

  let searchTimer = null;
  function searchSoon(now) {
    clearTimeout(searchTimer);
    const run = () => {
      const search = $('search').value.trim();
      if (search === view.search) return;
      view.search = search;
      showPage(mainList, 'first');
    };
    if (now) run();
    else searchTimer = setTimeout(run, SEARCH_DELAY_MS);
  }

  async function showPage(list, move) {
    try {
      if (await list.load(move) && list === mainList) await refreshTraffic();
    } catch (e) {
      // Already shown in the banner.
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('token').value = token;
    $('token-form').addEventListener('submit', useToken);
    $('forget-token').addEventListener('click', forgetToken);
    $('refresh').addEventListener('click', () => loadAll('same'));
    $('add-toggle').addEventListener('click', () => showAddPanel($('add-panel').hidden));
    $('add-cancel').addEventListener('click', () => showAddPanel(false));
    $('add-form').addEventListener('submit', add);
    $('status-filter').addEventListener('click', (event) => {
      const button = event.target.closest('button');
      if (button) filterBy(button.dataset.status);
    });
    $('search').addEventListener('input', () => searchSoon(false));
    $('search').addEventListener('keydown', (event) => {
      if (event.key === 'Enter') searchSoon(true);
    });
    $('first-page').addEventListener('click', () => showPage(mainList, 'first'));
    $('prev-page').addEventListener('click', () => showPage(mainList, 'previous'));
    $('next-page').addEventListener('click', () => showPage(mainList, 'next'));
    $('pending-prev').addEventListener('click', () => showPage(pendingList, 'previous'));
    $('pending-next').addEventListener('click', () => showPage(pendingList, 'next'));
    $('history-close').addEventListener('click', closeHistory);
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') closeHistory();
    });
    loadAll('first');
    setInterval(() => {
      if (!authorized || document.visibilityState !== 'visible') return;
      // Without the event stream, polling is what keeps the view current.
      if ($('live').dataset.state !== 'on') loadAll('same');
      else Promise.all([refreshTraffic(), refreshReplicas()]).catch(() => {});
    }, REFRESH_MS);
  });
}());
