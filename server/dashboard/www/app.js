// The fleet dashboard: reads and drives the admin API under /api/ with the operator's bearer token.
// Plain DOM code, no framework, no build step. Every text from the API goes through textContent
// (el() below); nothing the server sends is ever parsed as HTML.
'use strict';

(() => {
  const TOKEN_KEY = 'otakit.dashboard.token';
  const REFRESH_MS = 5000;
  const CONFIRM_MS = 5000;
  const DEVICE_LIMIT = 500;
  const DETAIL_WORKERS = 4;

  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------------------------------------
  // DOM helpers

  // el('td', {class: 'x', text: value}, child, 'text', ...): strings become text nodes.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = String(value);
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function show(node, visible) { node.hidden = !visible; }

  function setMessage(node, text, kind) {
    node.textContent = text || '';
    node.classList.toggle('error', kind === 'error');
    node.classList.toggle('ok', kind === 'ok');
    node.dataset.kind = kind || '';
    show(node, Boolean(text));
  }

  // A table row whose cells carry their column's name, for the stacked layout on phones.
  function row(columns, cells, attrs) {
    const tr = el('tr', attrs);
    cells.forEach((cell, i) => {
      const td = el('td', {dataset: {label: columns[i]}});
      if (cell instanceof Node) td.append(cell);
      else td.textContent = cell === undefined || cell === null ? '' : String(cell);
      tr.append(td);
    });
    return tr;
  }

  function emptyRow(columns, text) {
    return el('tr', {class: 'empty'}, el('td', {colspan: columns.length, text}));
  }

  function replaceRows(tbody, rows) { tbody.replaceChildren(...rows); }

  // ---------------------------------------------------------------------------------------------
  // Formatting

  function ago(ms) {
    if (!ms) return 'never';
    const s = Math.round((Date.now() - ms) / 1000);
    if (s < 0) return 'just now';  // the server's clock is a little ahead of this one
    if (s < 5) return 'just now';
    if (s < 60) return `${s} s ago`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m} min ago`;
    const h = Math.floor(m / 60);
    if (h < 48) return `${h} h ago`;
    return `${Math.floor(h / 24)} d ago`;
  }

  // A relative time that the ticker keeps current; the exact time in its title.
  function timeCell(ms) {
    if (!ms) return el('span', {class: 'muted', text: 'never'});
    const date = new Date(ms);
    return el('time', {datetime: date.toISOString(), title: date.toLocaleString(), dataset: {at: String(ms)},
      text: ago(ms)});
  }

  function bytes(n) {
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${(n / 1024 / 1024).toFixed(2)} MiB`;
  }

  function firmwareLabel(id) {
    const f = state.firmware.find((x) => x.id === id);
    if (!f) return id ? `firmware #${id}` : '—';
    return f.version ? `${f.name} ${f.version}` : f.name;
  }

  function scopeLabel(scope) {
    if (scope === '*') return 'whole fleet';
    if (scope.startsWith('group:')) return `group ${scope.slice(6)}`;
    return scope;
  }

  // ---------------------------------------------------------------------------------------------
  // State

  const state = {
    token: '',
    devices: [],
    deviceTotal: 0,
    firmware: [],
    targets: [],
    rollouts: [],
    groups: [],
    lastRefresh: 0,
    refreshError: '',
    refreshing: false,
    refreshAgain: false,
    timer: 0,
    // mac -> {checks, key, label, detail, transient}: read from each device's history
    deviceStates: new Map(),
    statesRunning: false,
    selected: '',       // the MAC whose history is open
    armed: null,        // {key, until}: a dangerous button clicked once, waiting for the second click
    busy: new Set(),    // rollout actions being sent ("7:pause")
    rolloutMessages: new Map(),  // rollout id -> {text, kind}
    targetChoice: new Map(),     // firmware id -> the scope chosen in its row
    rendered: {},       // section -> the data it was last drawn from
    revealed: false,    // the fleet is shown (the server took the token)
  };

  // ---------------------------------------------------------------------------------------------
  // The admin API

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const token = state.token;
    const headers = {Authorization: `Bearer ${token}`};
    let payload;
    if (body instanceof Blob) {
      payload = body;
      headers['Content-Type'] = 'application/octet-stream';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    let response;
    try {
      response = await fetch(path, {method, headers, body: payload, cache: 'no-store', credentials: 'omit'});
    } catch (e) {
      throw new ApiError(0, `the server did not answer (${e.message})`);
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = null;
    }
    const message = data && typeof data.error === 'string' ? data.error : (text.trim() || `HTTP ${response.status}`);
    if (response.status === 401) {
      if (token === state.token) signOut(`The server refused the token: ${message}`);
      throw new ApiError(401, message);
    }
    if (!response.ok) throw new ApiError(response.status, message);
    return data;
  }

  // ---------------------------------------------------------------------------------------------
  // Signing in and out

  // The fleet shows once the server has taken the token (revealApp after the first answer); a
  // refused token brings the prompt back with the server's reason.
  function signIn(token) {
    state.token = token;
    state.revealed = false;
    localStorage.setItem(TOKEN_KEY, token);
    setMessage($('login-message'), '');
    $('sign-in').disabled = true;
    $('sign-in').textContent = 'Signing in…';
    show($('refreshed'), true);
    $('refreshed').textContent = 'Loading…';
    clearInterval(state.timer);
    state.timer = setInterval(() => { if (!document.hidden) refresh(); }, REFRESH_MS);
    refresh();
  }

  function revealApp() {
    if (state.revealed) return;
    state.revealed = true;
    $('sign-in').disabled = false;
    $('sign-in').textContent = 'Sign in';
    show($('login'), false);
    show($('app'), true);
    show($('sign-out'), true);
  }

  function signOut(message) {
    state.token = '';
    state.revealed = false;
    $('sign-in').disabled = false;
    $('sign-in').textContent = 'Sign in';
    localStorage.removeItem(TOKEN_KEY);
    clearInterval(state.timer);
    state.timer = 0;
    // Nothing of the fleet stays on the page.
    Object.assign(state, {devices: [], deviceTotal: 0, firmware: [], targets: [], rollouts: [], groups: [],
      lastRefresh: 0, refreshError: '', selected: '', armed: null, rendered: {}});
    state.deviceStates.clear();
    state.rolloutMessages.clear();
    for (const id of ['devices', 'firmware', 'targets', 'history']) $(id).tBodies[0].replaceChildren();
    $('rollouts').replaceChildren();
    show($('device-detail'), false);
    show($('app'), false);
    show($('sign-out'), false);
    show($('refreshed'), false);
    show($('login'), true);
    setMessage($('login-message'), message || '', 'error');
    $('token-input').value = '';
    $('token-input').focus();
  }

  // ---------------------------------------------------------------------------------------------
  // Refreshing

  function deviceQuery() {
    const q = new URLSearchParams({limit: String(DEVICE_LIMIT)});
    const group = $('filter-group').value;
    const tag = $('filter-tag').value.trim();
    if (group) q.set('group', group);
    if (tag) q.set('tag', tag);
    return q.toString();
  }

  async function refresh() {
    if (!state.token) return;
    if (state.refreshing) {
      state.refreshAgain = true;
      return;
    }
    state.refreshing = true;
    const token = state.token;
    try {
      const [devices, firmware, targets, rollouts, groups] = await Promise.all([
        api('GET', `/api/devices?${deviceQuery()}`),
        api('GET', '/api/firmware'),
        api('GET', '/api/targets'),
        api('GET', '/api/rollouts'),
        api('GET', '/api/groups'),
      ]);
      if (token !== state.token) return;
      state.devices = devices.devices || [];
      state.deviceTotal = devices.total || 0;
      state.firmware = firmware.firmware || [];
      state.targets = targets.targets || [];
      state.rollouts = rollouts.rollouts || [];
      state.groups = groups.groups || [];
      state.lastRefresh = Date.now();
      state.refreshError = '';
      setMessage($('app-message'), '');
      revealApp();
      renderAll();
      readDeviceStates();
      if (state.selected) loadDetail(state.selected);
    } catch (e) {
      if (e.status !== 401 && token === state.token) {
        state.refreshError = e.message;
        setMessage($('app-message'), `Could not read the fleet: ${e.message}`, 'error');
        revealApp();
      }
    } finally {
      state.refreshing = false;
      tick();
      if (state.refreshAgain) {
        state.refreshAgain = false;
        refresh();
      }
    }
  }

  // Once a second: "updated N s ago", every relative time, and armed buttons that timed out.
  function tick() {
    const status = $('refreshed');
    if (state.lastRefresh) {
      const s = Math.max(0, Math.round((Date.now() - state.lastRefresh) / 1000));
      const when = s < 120 ? `${s} s ago` : ago(state.lastRefresh);
      status.textContent = state.refreshError ? `Update failed; last updated ${when}` : `Updated ${when}`;
      status.classList.toggle('stale', Boolean(state.refreshError));
    }
    for (const node of document.querySelectorAll('time[data-at]')) node.textContent = ago(Number(node.dataset.at));
    if (state.armed && Date.now() > state.armed.until) {
      state.armed = null;
      renderAll();
    }
  }

  function renderAll() {
    renderGroupsAndTags();
    renderDevices();
    renderFirmware();
    renderTargets();
    renderRollouts();
  }

  // Draws a section only when what it shows changed, so focus and open selects survive refreshes.
  function changed(section, ...data) {
    const key = JSON.stringify(data);
    if (state.rendered[section] === key) return false;
    state.rendered[section] = key;
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Two-click buttons for what cannot be undone (cancel, roll back, a fleet-wide target)

  function armedKey() { return state.armed && Date.now() <= state.armed.until ? state.armed.key : ''; }

  function confirmButton(key, label, confirmLabel, run, attrs) {
    const armed = armedKey() === key;
    const extra = Object.assign({}, attrs || {});
    const classes = ['danger', armed ? 'armed' : '', extra.class || ''].filter(Boolean).join(' ');
    delete extra.class;
    return el('button', Object.assign({type: 'button', class: classes, 'aria-pressed': armed ? 'true' : 'false',
      onclick: () => {
        if (armedKey() === key) {
          state.armed = null;
          run();
        } else {
          state.armed = {key, until: Date.now() + CONFIRM_MS};
        }
        renderAll();
      }}, extra), armed ? confirmLabel : label);
  }

  // ---------------------------------------------------------------------------------------------
  // Groups and tags in the filters and forms

  function fillSelect(select, options, keepFirst) {
    const current = select.value;
    const first = keepFirst ? [select.options[0]] : [];
    select.replaceChildren(...first, ...options.map(([value, text]) => el('option', {value, text})));
    if ([...select.options].some((o) => o.value === current)) select.value = current;
  }

  function renderGroupsAndTags() {
    const tags = new Set();
    for (const d of state.devices) for (const t of d.tags || []) tags.add(t);
    if (!changed('groups', state.groups, [...tags])) return;
    const groups = state.groups.map((g) => [g, g]);
    fillSelect($('filter-group'), groups, true);
    fillSelect($('ro-group'), groups, true);
    $('known-tags').replaceChildren(...[...tags].sort().map((t) => el('option', {value: t})));
  }

  // ---------------------------------------------------------------------------------------------
  // Devices

  // What a device is doing, from its history (newest first). The server writes, per check, one
  // "check" (304, with why) or "offer" (200) row, before it "updated" or "failed" rows for rollout
  // outcomes counted by the same check; "download" when an offered image was sent completely.
  // A device running a trial image gets "trial" until it confirms the image (then "updated").
  const DEVICE_EVENTS = new Set(['check', 'offer', 'download', 'download_cut', 'trial', 'updated', 'failed']);

  function checkReason(detail) {
    const m = /^(\d{3}) ([a-z_]+): ?(.*)$/.exec(detail || '');
    return m ? {status: m[1], why: m[2], reason: m[3]} : {status: '', why: '', reason: detail || ''};
  }

  function deriveState(history) {
    const events = (history || []).filter((h) => DEVICE_EVENTS.has(h.event));
    if (!events.length) return {key: 'unknown', label: 'unknown', detail: 'no check in its history'};
    const latest = events[0];
    switch (latest.event) {
      case 'download': return {key: 'updating', label: 'updating', detail: 'downloaded the image; not checked in since'};
      case 'download_cut': return {key: 'offered', label: 'update offered', detail: `download cut short (${latest.detail})`};
      case 'updated': return {key: 'ok', label: 'up to date', detail: latest.detail};
      case 'failed': return {key: 'failed', label: 'failed', detail: latest.detail};
      case 'trial': return {key: 'updating', label: 'updating', detail: latest.detail};
      default: break;
    }
    // The rows one check wrote share its time.
    const sameCheck = events.filter((h) => h.at === latest.at);
    const failed = sameCheck.find((h) => h.event === 'failed');
    if (failed) return {key: 'failed', label: 'failed', detail: failed.detail};
    const trial = sameCheck.find((h) => h.event === 'trial');
    if (trial) return {key: 'updating', label: 'updating', detail: trial.detail};
    const r = checkReason(latest.detail);
    if (latest.event === 'offer') return {key: 'offered', label: 'update offered', detail: r.reason, transient: true};
    switch (r.why) {
      case 'already_running':
      case 'same_version': {
        // Running a rollout's image on trial: healthy only once the device confirms it.
        const outcome = events.find((h) => ['trial', 'updated', 'failed', 'offer'].includes(h.event));
        if (outcome && outcome.event === 'trial') return {key: 'updating', label: 'updating', detail: outcome.detail};
        return {key: 'ok', label: 'up to date', detail: r.reason};
      }
      case 'too_large':
      case 'wrong_flash':
      case 'downgrade':
        return {key: 'failed', label: 'failed', detail: `cannot take its target: ${r.reason}`};
      case 'failed_here': {
        const outcome = events.find((h) => h.event === 'failed');
        return {key: 'failed', label: 'failed', detail: outcome ? outcome.detail : r.reason};
      }
      case 'no_target': {
        // A device that failed a rollout is not offered it again: it keeps showing the failure.
        const outcome = events.find((h) => h.event === 'failed' || h.event === 'updated' || h.event === 'offer');
        if (outcome && outcome.event === 'failed') return {key: 'failed', label: 'failed', detail: outcome.detail};
        return {key: 'none', label: 'no target', detail: r.reason};
      }
      default:
        return {key: 'unknown', label: r.why ? 'not offered' : 'unknown', detail: r.reason};
    }
  }

  // Reads the history of each listed device that checked in since it was last read (or whose last
  // check was an offer, since the download that follows does not count as a check).
  async function readDeviceStates() {
    if (state.statesRunning) return;
    state.statesRunning = true;
    const token = state.token;
    try {
      const todo = state.devices.filter((d) => {
        const known = state.deviceStates.get(d.mac);
        return !known || known.checks !== d.checks || known.transient;
      });
      let next = 0;
      const worker = async () => {
        while (next < todo.length && token === state.token) {
          const d = todo[next++];
          try {
            const detail = await api('GET', `/api/devices/${encodeURIComponent(d.mac)}`);
            state.deviceStates.set(d.mac, Object.assign({checks: detail.checks}, deriveState(detail.history)));
          } catch (e) {
            if (e.status === 401) return;
            state.deviceStates.set(d.mac, {checks: -1, key: 'unknown', label: 'unknown', detail: e.message});
          }
        }
      };
      await Promise.all(Array.from({length: DETAIL_WORKERS}, worker));
      if (token === state.token) renderDevices();
    } finally {
      state.statesRunning = false;
    }
  }

  const DEVICE_COLUMNS = ['MAC', 'Running version', 'Group', 'Tags', 'State', 'Last seen'];

  function stateBadge(s) {
    if (!s) return el('span', {class: 'badge state-reading', text: 'reading…'});
    return el('span', {class: 'state'},
      el('span', {class: `badge state-${s.key}`, text: s.label}),
      s.detail ? el('span', {class: 'state-detail', text: s.detail}) : null);
  }

  function renderDevices() {
    const states = state.devices.map((d) => state.deviceStates.get(d.mac) || null);
    const count = $('device-count');
    const filtered = $('filter-group').value || $('filter-tag').value.trim();
    count.textContent = state.devices.length < state.deviceTotal
      ? `Showing ${state.devices.length} of ${state.deviceTotal} devices`
      : `${state.deviceTotal} device${state.deviceTotal === 1 ? '' : 's'}${filtered ? ' match the filter' : ''}`;
    if (!changed('devices', state.devices, states, state.selected)) return;
    const tbody = $('devices').tBodies[0];
    if (!state.devices.length) {
      replaceRows(tbody, [emptyRow(DEVICE_COLUMNS, filtered ? 'No device matches the filter.'
        : 'No device has checked in yet. Devices register with their first update check.')]);
      return;
    }
    replaceRows(tbody, state.devices.map((d, i) => {
      const mac = el('button', {type: 'button', class: 'link mac', 'aria-label': `History of ${d.mac}`,
        'aria-expanded': state.selected === d.mac ? 'true' : 'false',
        onclick: () => openDetail(d.mac)}, d.mac);
      const version = d.running_version
        ? el('span', {title: `MD5 ${d.running_md5}`, text: d.running_version})
        : el('span', {class: 'muted', title: `MD5 ${d.running_md5}`, text: `no version (${(d.running_md5 || '').slice(0, 8)})`});
      const tags = el('span', {class: 'chips'}, ...(d.tags || []).map((t) => el('span', {class: 'chip', text: t})));
      const tr = row(DEVICE_COLUMNS, [mac, version, d.group || el('span', {class: 'muted', text: '—'}), tags,
        stateBadge(states[i]), timeCell(d.last_seen)], {dataset: {mac: d.mac}, class: 'clickable'});
      tr.classList.toggle('selected', state.selected === d.mac);
      tr.addEventListener('click', (event) => {
        if (!event.target.closest('button, a, input, select')) openDetail(d.mac);
      });
      return tr;
    }));
  }

  // ---------------------------------------------------------------------------------------------
  // One device's history

  const HISTORY_COLUMNS = ['When', 'Event', 'Detail', 'Firmware', 'Rollout'];

  function openDetail(mac) {
    const fresh = state.selected !== mac;
    state.selected = mac;
    show($('device-detail'), true);
    $('detail-title').textContent = `Device ${mac}`;
    if (fresh) {
      $('detail-facts').replaceChildren();
      $('history').tBodies[0].replaceChildren();
      setMessage($('detail-message'), '');
      state.rendered.detail = '';
    }
    loadDetail(mac, fresh);
    if (fresh) $('detail-title').focus();
    renderDevices();
    $('device-detail').scrollIntoView({block: 'nearest'});
  }

  async function loadDetail(mac, fillForm) {
    let d;
    try {
      d = await api('GET', `/api/devices/${encodeURIComponent(mac)}`);
    } catch (e) {
      if (e.status !== 401 && state.selected === mac) setMessage($('detail-message'), e.message, 'error');
      return;
    }
    if (state.selected !== mac) return;
    if (fillForm) {
      $('detail-group').value = d.group || '';
      $('detail-tags').value = (d.tags || []).join(', ');
    }
    if (!changed('detail', d, state.firmware.length)) return;
    const facts = [
      ['STA MAC', d.mac], ['AP MAC', d.ap_mac], ['Chip ID', d.chip_id], ['Address', d.address],
      ['Running version', d.running_version || '—'], ['Running MD5', d.running_md5],
      ['Sketch size', bytes(d.sketch_size)], ['Free space', bytes(d.free_space)], ['Flash', bytes(d.chip_size)],
      ['SDK', d.sdk_version], ['Group', d.group || '—'], ['Tags', (d.tags || []).join(', ') || '—'],
      ['Highest security version run', d.max_security_version], ['Checks', d.checks],
      ['First seen', timeCell(d.first_seen)], ['Last seen', timeCell(d.last_seen)],
    ];
    $('detail-facts').replaceChildren(...facts.flatMap(([name, value]) => [
      el('dt', {text: name}), el('dd', {}, value instanceof Node ? value : String(value ?? ''))]));
    const history = d.history || [];
    $('detail-total').textContent = history.length ? `(newest ${history.length})` : '';
    replaceRows($('history').tBodies[0], history.length ? history.map((h) => row(HISTORY_COLUMNS, [
      timeCell(h.at), el('span', {class: `event event-${h.event}`, text: h.event}), h.detail,
      h.firmware_id ? firmwareLabel(h.firmware_id) : '—', h.rollout_id ? `#${h.rollout_id}` : '—',
    ])) : [emptyRow(HISTORY_COLUMNS, 'No history yet.')]);
  }

  async function saveGroupAndTags(event) {
    event.preventDefault();
    const mac = state.selected;
    if (!mac) return;
    const group = $('detail-group').value.trim();
    const tags = $('detail-tags').value.split(',').map((t) => t.trim()).filter(Boolean);
    const message = $('detail-message');
    try {
      await api('PUT', `/api/devices/${encodeURIComponent(mac)}/group`, {group: group || null});
      await api('PUT', `/api/devices/${encodeURIComponent(mac)}/tags`, {tags});
      setMessage(message, `Saved: ${group ? `group ${group}` : 'no group'}, ${tags.length ? `tags ${tags.join(', ')}` : 'no tags'}.`, 'ok');
      state.deviceStates.delete(mac);
      refresh();
    } catch (e) {
      if (e.status !== 401) setMessage(message, `Not saved: ${e.message}`, 'error');
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Firmware and targets

  const FIRMWARE_COLUMNS = ['Name', 'Version', 'Size', 'MD5', 'Signed', 'Security version', 'Uploaded', 'Target'];

  function targetControls(f) {
    const scopes = [['*', 'Whole fleet'], ...state.groups.map((g) => [`group:${g}`, `Group ${g}`])];
    const chosen = state.targetChoice.get(f.id) || '*';
    const selectId = `target-scope-${f.id}`;
    const select = el('select', {id: selectId, dataset: {firmware: String(f.id)},
      onchange: () => { state.targetChoice.set(f.id, select.value); state.armed = null; renderFirmware(); }},
    ...scopes.map(([value, text]) => el('option', {value, text, selected: value === chosen})));
    select.value = chosen;
    const current = state.targets.filter((t) => t.firmware_id === f.id).map((t) => scopeLabel(t.scope));
    const name = f.version ? `${f.name} ${f.version}` : f.name;
    const button = confirmButton(`target:${f.id}:${chosen}`, 'Set target', `Confirm: offer to ${scopeLabel(chosen)}`,
      () => setTarget(f, chosen), {dataset: {firmware: String(f.id)}, class: 'set-target'});
    return el('div', {class: 'target-controls'},
      current.length ? el('span', {class: 'chips'}, ...current.map((c) => el('span', {class: 'chip target', text: `target of ${c}`}))) : null,
      el('label', {class: 'visually-hidden', for: selectId, text: `Target scope for ${name}`}),
      select, button);
  }

  function renderFirmware() {
    const armed = armedKey();
    if (!changed('firmware', state.firmware, state.targets, state.groups, armed.startsWith('target:') ? armed : '',
      [...state.targetChoice])) {
      return;
    }
    const tbody = $('firmware').tBodies[0];
    replaceRows(tbody, state.firmware.length ? state.firmware.map((f) => row(FIRMWARE_COLUMNS, [
      el('span', {class: 'name'}, f.name, f.kind === 'spiffs' ? el('span', {class: 'chip', text: 'filesystem'}) : null),
      f.version || el('span', {class: 'muted', text: '—'}),
      el('span', {class: 'nowrap', title: `${f.size} bytes`, text: bytes(f.size)}),
      el('code', {title: `MD5 ${f.md5}\nSHA-256 ${f.sha256}`, text: (f.md5 || '').slice(0, 8)}),
      f.signed ? 'yes' : 'no',
      String(f.security_version),
      timeCell(f.uploaded_at),
      targetControls(f),
    ], {dataset: {firmware: String(f.id)}})) : [emptyRow(FIRMWARE_COLUMNS, 'The catalog is empty: upload an image above.')]);

    const select = $('ro-firmware');
    const current = select.value;
    select.replaceChildren(...[...state.firmware].reverse().map((f) => el('option', {value: String(f.id),
      text: `${f.version ? `${f.name} ${f.version}` : f.name} (#${f.id}, ${(f.md5 || '').slice(0, 8)})`})));
    if ([...select.options].some((o) => o.value === current)) select.value = current;
  }

  const TARGET_COLUMNS = ['Scope', 'Firmware', 'Set'];

  function renderTargets() {
    if (!changed('targets', state.targets, state.firmware)) return;
    replaceRows($('targets').tBodies[0], state.targets.length ? state.targets.map((t) => row(TARGET_COLUMNS, [
      scopeLabel(t.scope), firmwareLabel(t.firmware_id), timeCell(t.set_at)], {dataset: {scope: t.scope}}))
      : [emptyRow(TARGET_COLUMNS, 'No target is set: devices are offered only what rollouts give them.')]);
  }

  async function setTarget(f, scope) {
    const message = $('target-message');
    try {
      await api('PUT', '/api/targets', {scope, firmware_id: f.id});
      setMessage(message, `${firmwareLabel(f.id)} is now the target of the ${scopeLabel(scope)}.`, 'ok');
      refresh();
    } catch (e) {
      if (e.status !== 401) setMessage(message, `The target was not set: ${e.message}`, 'error');
    }
  }

  async function upload(event) {
    event.preventDefault();
    const file = $('fw-file').files[0];
    const message = $('fw-message');
    if (!file) {
      setMessage(message, 'Choose an image file first.', 'error');
      return;
    }
    const q = new URLSearchParams({name: file.name});
    const version = $('fw-version').value.trim();
    if (version) q.set('version', version);
    const button = $('fw-upload');
    button.disabled = true;
    setMessage(message, '');
    show($('fw-progress-box'), true);
    $('fw-progress-text').textContent = `Uploading ${file.name} (${bytes(file.size)})…`;
    try {
      const f = await api('POST', `/api/firmware?${q}`, file);
      const what = f.version ? `${f.name} ${f.version}` : f.name;
      const known = state.firmware.some((x) => x.id === f.id);
      setMessage(message, known ? `${what} is already in the catalog (#${f.id}).`
        : `Uploaded ${what} as #${f.id} (${bytes(f.size)}, MD5 ${f.md5.slice(0, 8)}).`, 'ok');
      $('upload-form').reset();
      refresh();
    } catch (e) {
      if (e.status !== 401) setMessage(message, `The server refused the image: ${e.message}`, 'error');
    } finally {
      button.disabled = false;
      show($('fw-progress-box'), false);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Rollouts

  const STATE_LABELS = {
    waiting_for_approval: 'waiting for approval',
    running: 'running',
    paused: 'paused',
    stopped: 'stopped (error threshold)',
    canceled: 'canceled',
    finished: 'finished',
  };

  // The commands the server accepts in each state (server/rollout/rollout_policy.cpp); a rollback
  // makes a new rollout back to what the devices ran before, and cancels this one if it still runs.
  const ACTIONS = {
    waiting_for_approval: ['approve', 'cancel'],
    running: ['pause', 'cancel', 'rollback'],
    paused: ['resume', 'cancel', 'rollback'],
    stopped: ['cancel', 'rollback'],
    canceled: ['rollback'],
    finished: ['rollback'],
  };
  const ACTION_LABELS = {approve: 'Approve', pause: 'Pause', resume: 'Resume', cancel: 'Cancel', rollback: 'Roll back'};
  const DONE_LABELS = {approve: 'Approved', pause: 'Paused', resume: 'Resumed', cancel: 'Canceled'};
  const EXPECTED_STATE = {approve: 'running', pause: 'paused', resume: 'running', cancel: 'canceled'};

  function filterText(filter) {
    const parts = [];
    if (filter.group) parts.push(`group ${filter.group}`);
    if (filter.tag) parts.push(`tag ${filter.tag}`);
    if (filter.version) parts.push(`running ${filter.version}`);
    if (filter.chip_size) parts.push(`${bytes(filter.chip_size)} flash`);
    if (filter.seen_since) parts.push(`seen since ${new Date(filter.seen_since).toLocaleString()}`);
    return parts.length ? parts.join(', ') : 'every device';
  }

  function stageBar(s) {
    const total = s.targets;
    const bar = el('div', {class: 'bar', role: 'img',
      'aria-label': `${s.updated} updated, ${s.failed} failed, ${s.in_progress} in progress of ${total}`});
    for (const [kind, n] of [['updated', s.updated], ['failed', s.failed], ['progress', s.in_progress]]) {
      if (!n || !total) continue;
      const part = el('span', {class: `seg ${kind}`});
      part.style.width = `${Math.min(100, (100 * n) / total)}%`;  // CSSOM, allowed by the page's CSP
      bar.append(part);
    }
    return bar;
  }

  function renderStage(r, s, i) {
    const current = i === r.current_stage && (r.state === 'running' || r.state === 'paused');
    const status = s.started ? (current ? 'current' : 'started') : 'not started';
    return el('li', {class: `stage${current ? ' current' : ''}${s.started ? ' started' : ''}`, dataset: {stage: String(i)}},
      el('div', {class: 'stage-head'},
        el('span', {class: 'stage-name', text: `Stage ${i + 1}: ${s.name}`}),
        el('span', {class: 'muted', text: `${status}, needs ${s.success_threshold}`})),
      stageBar(s),
      el('p', {class: 'stage-numbers'},
        el('span', {class: 'n updated', text: `${s.updated} updated`}), ' · ',
        el('span', {class: 'n failed', text: `${s.failed} failed`}), ' · ',
        el('span', {class: 'n progress', text: `${s.in_progress} in progress`}), ' · ',
        el('span', {class: 'n targets', text: `of ${s.targets} target${s.targets === 1 ? '' : 's'}`})));
  }

  function rolloutActions(r) {
    return el('div', {class: 'actions'}, ...(ACTIONS[r.state] || []).map((action) => {
      const key = `${r.id}:${action}`;
      const attrs = {dataset: {action, rollout: String(r.id)}, disabled: state.busy.has(key)};
      if (action === 'cancel' || action === 'rollback') {
        return confirmButton(`rollout:${key}`, ACTION_LABELS[action], `Confirm: ${ACTION_LABELS[action].toLowerCase()}`,
          () => rolloutCommand(r, action), attrs);
      }
      return el('button', Object.assign({type: 'button', onclick: () => rolloutCommand(r, action)}, attrs),
        ACTION_LABELS[action]);
    }));
  }

  function renderRollouts() {
    const n = state.rollouts.length;
    $('rollout-count').textContent = n ? `${n} rollout${n === 1 ? '' : 's'}, newest first` : '';
    const armed = armedKey();
    if (!changed('rollouts', state.rollouts, state.firmware, armed.startsWith('rollout:') ? armed : '',
      [...state.busy], [...state.rolloutMessages])) {
      return;
    }
    const list = [...state.rollouts].sort((a, b) => b.id - a.id);
    $('rollouts').replaceChildren(...(list.length ? list.map((r) => {
      const message = state.rolloutMessages.get(r.id);
      const t = r.totals || {};
      return el('article', {class: `rollout state-${r.state}`, dataset: {id: String(r.id), state: r.state},
        'aria-labelledby': `rollout-${r.id}-title`},
      el('header', {class: 'rollout-head'},
        el('h3', {id: `rollout-${r.id}-title`, text: `#${r.id} ${r.name}`}),
        el('span', {class: `badge rollout-state state-${r.state}`, text: STATE_LABELS[r.state] || r.state})),
      el('dl', {class: 'facts compact'},
        el('dt', {text: 'Firmware'}), el('dd', {text: firmwareLabel(r.firmware_id)}),
        el('dt', {text: 'Devices'}), el('dd', {class: 'filter', text: filterText(r.filter || {})}),
        el('dt', {text: 'Overall'}), el('dd', {class: 'totals',
          text: `${t.updated} updated, ${t.failed} failed, ${t.in_progress} in progress of ${t.targets}`}),
        el('dt', {text: 'Stops at'}), el('dd', {text: `${r.error_threshold} failed`}),
        r.approval_required ? el('dt', {text: 'Approval'}) : null,
        r.approval_required ? el('dd', {text: 'required'}) : null,
        r.rollback_of ? el('dt', {text: 'Rollback of'}) : null,
        r.rollback_of ? el('dd', {text: `#${r.rollback_of}`}) : null,
        el('dt', {text: 'Created'}), el('dd', {}, timeCell(r.created_at))),
      el('ol', {class: 'stages'}, ...(r.stages || []).map((s, i) => renderStage(r, s, i))),
      rolloutActions(r),
      el('p', {class: `message${message ? ` ${message.kind}` : ''}`, role: 'status', hidden: !message,
        text: message ? message.text : ''}));
    }) : [el('p', {class: 'muted', text: 'No rollout yet. Create one above once the catalog has an image.'})]));
  }

  async function rolloutCommand(r, action) {
    const key = `${r.id}:${action}`;
    state.busy.add(key);
    state.rolloutMessages.delete(r.id);
    renderRollouts();
    try {
      const result = await api('POST', `/api/rollouts/${r.id}/${action}`, action === 'rollback' ? {} : undefined);
      let text = `${DONE_LABELS[action]}.`;
      if (action === 'rollback') text = `Rollback started as rollout #${result.id}.`;
      else if (result.state !== EXPECTED_STATE[action]) text += ` It is now ${STATE_LABELS[result.state] || result.state}.`;
      state.rolloutMessages.set(r.id, {kind: 'ok', text});
    } catch (e) {
      if (e.status === 401) return;
      state.rolloutMessages.set(r.id, {kind: 'error', text: `${ACTION_LABELS[action]} refused: ${e.message}`});
    } finally {
      state.busy.delete(key);
      renderRollouts();
    }
    refresh();
  }

  async function createRollout(event) {
    event.preventDefault();
    const message = $('rollout-form-message');
    const firmware = Number($('ro-firmware').value);
    if (!firmware) {
      setMessage(message, 'Upload an image first: the catalog is empty.', 'error');
      return;
    }
    const body = {
      firmware_id: firmware,
      stages: $('ro-stages').value.trim(),
      approval_required: $('ro-approval').checked,
      pause_after_each_stage: $('ro-pause').checked,
      filter: {group: $('ro-group').value, tag: $('ro-tag').value.trim()},
    };
    const name = $('ro-name').value.trim();
    if (name) body.name = name;
    const success = $('ro-success').value.trim();
    const error = $('ro-error').value.trim();
    if (success) body.success_threshold = success;
    if (error) body.error_threshold = error;
    const button = $('ro-create');
    button.disabled = true;
    try {
      const r = await api('POST', '/api/rollouts', body);
      const targets = (r.totals || {}).targets;
      setMessage(message, `Created rollout #${r.id} (${STATE_LABELS[r.state] || r.state}) for ${targets} device${targets === 1 ? '' : 's'}.`, 'ok');
      $('ro-name').value = '';
      refresh();
    } catch (e) {
      if (e.status !== 401) setMessage(message, `The rollout was not created: ${e.message}`, 'error');
    } finally {
      button.disabled = false;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Wiring

  function start() {
    $('login-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const token = $('token-input').value.trim();
      if (token) signIn(token);
    });
    $('sign-out').addEventListener('click', () => signOut(''));
    $('device-filter').addEventListener('submit', (event) => {
      event.preventDefault();
      refresh();
    });
    $('filter-group').addEventListener('change', () => refresh());
    $('filter-clear').addEventListener('click', () => {
      $('filter-group').value = '';
      $('filter-tag').value = '';
      refresh();
    });
    $('detail-close').addEventListener('click', () => {
      state.selected = '';
      show($('device-detail'), false);
      renderDevices();
    });
    $('detail-group-form').addEventListener('submit', saveGroupAndTags);
    $('upload-form').addEventListener('submit', upload);
    $('rollout-form').addEventListener('submit', createRollout);
    document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
    setInterval(tick, 1000);

    const saved = localStorage.getItem(TOKEN_KEY);
    if (saved) {
      signIn(saved);
    } else {
      signOut('');
    }
  }

  start();
})();
