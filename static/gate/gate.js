/* Presspass gate page.
 *
 * Online, every scan goes to the server (POST …/scan), which decides and logs it. When the
 * network is down (or the server does not answer), the page decides by itself with what it
 * synchronised last (GET …/revocations): it verifies the Ed25519 signature with WebCrypto,
 * applies the session and time rules and the revocation list, keeps the scan in localStorage,
 * and uploads it when the network is back (POST /gate/api/offline-scans; replays are
 * recorded once). The rules are the server's (accreditation/gate.py, docs/gate.md).
 *
 * Codes come from the camera (jsQR, vendored in static/vendor/jsqr) or from a USB scanner
 * that types the code into the text field and presses Enter. The code is used verbatim.
 * No inline script or style: the page's Content-Security-Policy forbids them.
 */
(function () {
  "use strict";

  const root = document.getElementById("gate");
  if (!root) return;

  const checkpointId = Number(root.dataset.checkpoint);
  // The agent signed in on this page: each scan queued offline says who made it, since the
  // upload may happen later under another agent's session (a shared phone, the next shift).
  // The page may be a copy the service worker kept for an earlier agent (a shared phone): the
  // first token asked with the session says who is signed in now (adoptAgent).
  let agentId = Number(root.dataset.agent);
  // The scan key the server gave this agent on this phone with the gate token: the page signs
  // each scan it queues offline with it (HMAC), so that whoever uploads them cannot credit made-up
  // scans to this agent. In memory only — never beside the queue, never in the kept page.
  let scanKey = null; // {id, key: CryptoKey}
  const R = window.PresspassGateRules;
  const API = {
    scan: root.dataset.apiScan,
    revocations: root.dataset.apiRevocations,
    counters: root.dataset.apiCounters,
    upload: root.dataset.apiUpload,
    token: root.dataset.apiToken,
  };
  const T = document.getElementById("gate-strings").dataset;
  const $ = (id) => document.getElementById(id);

  // The gate token is asked for with the session (GET …/token), never written in the page: the
  // page may be kept by the service worker for reloads without network.
  let token = "";
  let direction = "in";

  // --- storage ---------------------------------------------------------------------------------
  const KEY = {
    device: "pp-gate-device",
    queue: "pp-gate-queue",
    sync: "pp-gate-sync-" + checkpointId,
    inside: "pp-gate-inside-" + checkpointId,
  };
  const store = {
    get(key, fallback) {
      try {
        const value = localStorage.getItem(key);
        return value === null ? fallback : JSON.parse(value);
      } catch (e) {
        return fallback;
      }
    },
    set(key, value) {
      try {
        localStorage.setItem(key, JSON.stringify(value));
        return true;
      } catch (e) {
        return false;
      }
    },
  };

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // The phone's device id and its credential, both made by the server (GET …/token): a phone
  // never chooses its own id, so no one can record scans under another phone's.
  let device = store.get(KEY.device, null);
  if (!device || typeof device.id !== "string" || typeof device.credential !== "string") device = null;
  let deviceId = device ? device.id : "";

  // --- talking to the server -------------------------------------------------------------------
  function fetchWithTimeout(url, init, ms) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ms);
    return fetch(url, Object.assign({}, init, { signal: controller.signal })).finally(() =>
      clearTimeout(timer)
    );
  }

  let renewing = null;
  function renewToken() {
    // One request for the calls that need a token at the same moment (e.g. on opening).
    if (!renewing) renewing = askToken().finally(() => (renewing = null));
    return renewing;
  }

  async function askToken() {
    try {
      const url = API.token + (device ? "?device=" + encodeURIComponent(device.credential) : "");
      const response = await fetchWithTimeout(
        url,
        { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" },
        5000
      );
      if (response.status === 401 || response.status === 403) {
        // Signed out (here or in another tab), or no longer a gate agent: stop deciding.
        signedOut();
        return false;
      }
      if (!response.ok) return false;
      const data = await response.json();
      token = data.token;
      device = data.device;
      deviceId = device.id;
      store.set(KEY.device, device);
      await adoptAgent(data.agent);
      return true;
    } catch (e) {
      return false;
    }
  }

  async function adoptAgent(agent) {
    if (!agent || !Number.isInteger(agent.id) || agent.id <= 0) return;
    const changed = agent.id !== agentId;
    agentId = agent.id;
    scanKey = null;
    if (agent.scan_key && typeof agent.scan_key.key === "string") {
      try {
        const key = await crypto.subtle.importKey(
          "raw",
          new TextEncoder().encode(agent.scan_key.key),
          { name: "HMAC", hash: "SHA-256" },
          false,
          ["sign"]
        );
        scanKey = { id: agent.scan_key.id, key };
      } catch (e) {
        scanKey = null;
      }
    }
    root.dataset.agent = String(agent.id);
    if (changed) keepPage(); // the kept copy names the previous agent: keep this one's
    const name = $("gate-agent");
    if (name) name.textContent = String(agent.name || "");
  }

  async function api(method, url, body, ms) {
    if (!token) await renewToken();
    const init = {
      method,
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json", Authorization: "Bearer " + token },
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response = await fetchWithTimeout(url, init, ms || 6000);
    if (response.status === 401 && (await renewToken())) {
      init.headers.Authorization = "Bearer " + token;
      response = await fetchWithTimeout(url, init, ms || 6000);
    }
    if (response.status === 401) showWarning(T.signIn);
    return response;
  }

  // --- what the page needs to decide offline -----------------------------------------------------
  let sync = null;
  let keys = new Map();
  let listed = new Map();
  let windows = [];
  let clockOffset = 0;

  function base64Bytes(text) {
    const binary = atob(text);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  }

  // The list is signed by the server; the page checks it with the keys it was served with
  // (data-list-keys) before using it, also when it comes back from the phone's storage.
  const listKeys = JSON.parse(root.dataset.listKeys || "[]");

  async function verifiedList(envelope) {
    if (!envelope || typeof envelope.payload !== "string") return null;
    const entry = listKeys.find((k) => k.key_id === envelope.key_id);
    if (!entry) return null;
    try {
      const key = await crypto.subtle.importKey(
        "raw",
        base64Bytes(entry.public_key),
        { name: "Ed25519" },
        false,
        ["verify"]
      );
      const context = new TextEncoder().encode("presspass-gate-list-v1\n");
      const body = new TextEncoder().encode(envelope.payload);
      const signed = new Uint8Array(context.length + body.length);
      signed.set(context);
      signed.set(body, context.length);
      const valid = await crypto.subtle.verify(
        { name: "Ed25519" },
        key,
        base64Bytes(envelope.signature),
        signed
      );
      return valid ? JSON.parse(envelope.payload) : null;
    } catch (e) {
      return null;
    }
  }

  async function applyEnvelope(envelope) {
    const data = await verifiedList(envelope);
    if (!data || data.checkpoint.id !== checkpointId) {
      forgetList();
      return false;
    }
    data.clock_offset = envelope.clock_offset || 0;
    await applySync(data);
    return true;
  }

  function forgetList() {
    sync = null;
    keys = new Map();
    listed = new Map();
    windows = [];
    try {
      localStorage.removeItem(KEY.sync);
      localStorage.removeItem(KEY.inside);
    } catch (e) {
      /* nothing kept */
    }
  }

  async function applySync(data) {
    const imported = new Map();
    for (const entry of data.keys) {
      try {
        imported.set(
          entry.key_id,
          await crypto.subtle.importKey(
            "raw",
            base64Bytes(entry.public_key),
            { name: "Ed25519" },
            false,
            ["verify"]
          )
        );
      } catch (e) {
        console.warn("gate: cannot import badge key", entry.key_id, e);
      }
    }
    sync = data;
    keys = imported;
    listed = new Map(data.badges.map((entry) => [entry[0], entry]));
    windows = data.sessions
      .filter((s) => s.at_checkpoint)
      .map((s) => ({
        id: s.id,
        title: s.title,
        mediaAccess: s.media_access,
        opensAt: s.opens_at ? Date.parse(s.opens_at) : null,
        closesAt: s.closes_at ? Date.parse(s.closes_at) : null,
      }));
    clockOffset = data.clock_offset || 0;
    $("gate-sync-time").textContent = new Date(Date.parse(data.generated_at)).toLocaleTimeString(
      document.documentElement.lang,
      { hour: "2-digit", minute: "2-digit" }
    );
    root.dataset.state = "ready";
    showStale();
  }

  async function refreshSync() {
    try {
      const started = Date.now();
      const response = await api("GET", API.revocations, undefined, 15000);
      if (!response.ok) return;
      const envelope = await response.json();
      const data = await verifiedList(envelope);
      if (!data) return;
      envelope.clock_offset = Date.parse(data.generated_at) - (started + Date.now()) / 2;
      if (await applyEnvelope(envelope)) store.set(KEY.sync, envelope);
    } catch (e) {
      /* offline: keep the last list */
    }
  }

  function now() {
    return Date.now() + clockOffset;
  }

  // --- the badge code (docs/badge-format.md) -----------------------------------------------------
  const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  const MAX_CODE_LENGTH = 1647;

  class CodeError extends Error {}

  function b45decode(s) {
    if (s.length % 3 === 1) throw new CodeError("malformed");
    const out = [];
    for (let i = 0; i < s.length; i += 3) {
      const v = [...s.slice(i, i + 3)].map((c) => {
        const d = B45.indexOf(c);
        if (d < 0) throw new CodeError("malformed");
        return d;
      });
      const n = v[0] + v[1] * 45 + (v.length === 3 ? v[2] * 2025 : 0);
      if (v.length === 3) {
        if (n > 0xffff) throw new CodeError("malformed");
        out.push(n >> 8, n & 0xff);
      } else {
        if (n > 0xff) throw new CodeError("malformed");
        out.push(n);
      }
    }
    return new Uint8Array(out);
  }

  async function verifyBadgeCode(text) {
    if (text.length > MAX_CODE_LENGTH) throw new CodeError("malformed");
    if (!text.startsWith("PP1:")) {
      throw new CodeError(/^PP[0-9]+:/.test(text) ? "unsupported_format" : "malformed");
    }
    const raw = b45decode(text.slice(4));
    if (raw.length < 78) throw new CodeError("malformed");
    const dv = new DataView(raw.buffer);
    if (dv.getUint8(0) !== 1) throw new CodeError("unsupported_format");
    const n = dv.getUint8(13);
    if (raw.length !== 78 + 4 * n) throw new CodeError("malformed");
    const sessionIds = [];
    for (let i = 0; i < n; i++) sessionIds.push(dv.getUint32(14 + 4 * i));
    for (let i = 1; i < n; i++) {
      if (sessionIds[i - 1] >= sessionIds[i]) throw new CodeError("malformed");
    }
    const key = keys.get(dv.getUint16(1));
    if (!key) throw new CodeError("unknown_key");
    const body = raw.subarray(0, raw.length - 64);
    const signature = raw.subarray(raw.length - 64);
    let genuine = false;
    try {
      genuine = await crypto.subtle.verify({ name: "Ed25519" }, key, signature, body);
    } catch (e) {
      genuine = false;
    }
    if (!genuine) throw new CodeError("bad_signature");
    return {
      eventId: dv.getUint32(3),
      badgeId: dv.getUint32(7),
      version: dv.getUint16(11),
      sessionIds,
    };
  }

  // --- the rules: static/gate/rules.js, as accreditation/gate.py applies them ----------------------
  function listAge(at) {
    return sync ? at - Date.parse(sync.generated_at) : Infinity;
  }

  function listIsStale(at) {
    return listAge(at) > sync.event.list_max_age_minutes * 60000;
  }

  function showStale() {
    const banner = $("gate-stale");
    if (!banner) return;
    const stale = !!sync && listIsStale(now());
    banner.hidden = !stale;
    root.dataset.stale = String(stale);
    if (stale) {
      banner.textContent = sync.event.stale_list_blocks ? T.staleBlocks : T.stale;
    }
  }

  function insideKey(badgeId, sessionId) {
    return badgeId + ":" + sessionId;
  }

  function rememberDirection(badgeId, sessionId, dir) {
    if (!badgeId || !sessionId) return;
    const inside = store.get(KEY.inside, {});
    inside[insideKey(badgeId, sessionId)] = dir;
    store.set(KEY.inside, inside);
  }

  function lastDirection(badgeId, sessionId) {
    if (!sessionId) return null;
    return store.get(KEY.inside, {})[insideKey(badgeId, sessionId)] || null;
  }

  function insideSessions(badgeId) {
    const inside = new Set();
    for (const w of windows) if (lastDirection(badgeId, w.id) === "in") inside.add(w.id);
    return inside;
  }

  async function decideOffline(code, dir, at) {
    const result = { decision: "deny", reason: "malformed", flag: "", session: null, badge: null };
    let claims = null;
    let codeReason = null;
    try {
      claims = await verifyBadgeCode(code);
    } catch (e) {
      codeReason = e instanceof CodeError ? e.message : "malformed";
    }
    if (claims && claims.eventId !== sync.event.id) {
      codeReason = "wrong_event";
      claims = null;
    }
    const granted = claims ? new Set(claims.sessionIds) : new Set();
    const known = !!claims && claims.badgeId <= sync.max_badge_id;
    const inside = known && dir === "out" ? insideSessions(claims.badgeId) : new Set();
    const session = R.chooseSession(windows, at, granted, dir, inside);
    result.session = session;
    result.badge = known ? claims : null;
    const entry = claims ? listed.get(claims.badgeId) : undefined;
    result.reason = R.scanReason(codeReason, claims, entry, known, session, at, dir);
    if (result.reason === "ok" && sync.event.stale_list_blocks && listIsStale(at)) {
      result.reason = "stale_list";
    }
    const last = known && session ? lastDirection(claims.badgeId, session.id) : null;
    if (result.reason === "exit") {
      result.decision = "admit";
      result.flag = last === "in" ? "" : "not_inside";
    } else if (result.reason === "ok") {
      result.decision = "admit";
      if (last === "in") result.flag = "already_inside";
    }
    return result;
  }

  // --- the queue of scans decided offline --------------------------------------------------------
  function queued() {
    return store.get(KEY.queue, []);
  }

  function updateStatus() {
    const online = navigator.onLine;
    const network = $("gate-network");
    network.textContent = online ? T.online : T.offline;
    network.className = "gate-pill " + (online ? "gate-pill-online" : "gate-pill-offline");
    const count = queued().length;
    $("gate-queue-count").textContent = String(count);
    root.dataset.queue = String(count);
    root.dataset.online = String(online);
  }

  let uploading = false;

  async function flushQueue() {
    if (uploading || !navigator.onLine || !queued().length) return;
    uploading = true;
    root.dataset.uploading = "true";
    try {
      for (let round = 0; round < 50 && queued().length; round++) {
        const batch = queued().slice(0, 200);
        const body = { device_id: deviceId, scans: batch.map((item) => strip(item)) };
        const response = await api("POST", API.upload, body, 20000);
        if (response.ok) {
          const body = await response.json();
          const done = new Set(body.results.map((r) => r.client_scan_id));
          store.set(
            KEY.queue,
            queued().filter((item) => !done.has(item.client_scan_id))
          );
          const flagged = body.results.filter((r) => r.flag);
          if (flagged.length) {
            showWarning(T.flagged + " " + flagged.map((r) => r.flag_message).join(" · "));
          }
        } else if (response.status === 400) {
          // The server refuses one scan for good (it names it): drop it, keep the others.
          const error = await response.json().catch(() => ({}));
          const bad = Number.isInteger(error.index) ? batch[error.index] : null;
          if (!bad) break;
          console.warn("gate: the server refused a queued scan", error, bad);
          store.set(
            KEY.queue,
            queued().filter((item) => item.client_scan_id !== bad.client_scan_id)
          );
        } else {
          break;
        }
      }
    } catch (e) {
      /* still offline: try again later */
    } finally {
      uploading = false;
      delete root.dataset.uploading;
      updateStatus();
    }
  }

  function strip(item) {
    const copy = Object.assign({}, item);
    delete copy.local;
    return copy;
  }

  // What the page signs for a scan (accreditation/gate.py: scan_mac_text): its fields as sent.
  function macText(item) {
    return [
      item.client_scan_id,
      item.checkpoint,
      item.code,
      item.direction,
      item.scanned_at,
      item.decision,
      item.reason,
      item.session,
      item.sync,
    ]
      .map((v) => (v === null || v === undefined ? "" : String(v)))
      .join("\n");
  }

  async function signScan(item) {
    if (!scanKey) return item;
    try {
      const mac = await crypto.subtle.sign("HMAC", scanKey.key, new TextEncoder().encode(macText(item)));
      item.agent_key = scanKey.id;
      item.agent_mac = Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
    } catch (e) {
      /* unsigned: the uploader's */
    }
    return item;
  }

  // --- counters ----------------------------------------------------------------------------------
  let countersTimer = null;

  async function refreshCounters() {
    countersTimer = null;
    if (!navigator.onLine) return;
    try {
      const response = await api("GET", API.counters);
      if (!response.ok) return;
      const body = await response.json();
      for (const s of body.sessions) {
        const row = document.querySelector('[data-session="' + s.id + '"]');
        if (!row) continue;
        row.querySelector('[data-counter="admitted"]').textContent = String(s.admitted);
        row.querySelector('[data-counter="inside"]').textContent = String(s.inside);
        const places = row.querySelector('[data-counter="capacity"]');
        if (places) {
          places.textContent = s.capacity === null ? "" : String(s.capacity);
          row.querySelector('[data-counter="capacity-part"]').hidden = s.capacity === null;
          row.querySelector('[data-counter="full"]').hidden = !s.full;
          row.classList.toggle("gate-session-full", Boolean(s.full));
        }
      }
    } catch (e) {
      /* offline */
    }
  }

  function scheduleCounters() {
    if (countersTimer === null) countersTimer = setTimeout(refreshCounters, 1500);
  }

  // --- the verdict on screen ---------------------------------------------------------------------
  const result = $("gate-result");
  let photoUrl = null;
  let hideTimer = null;
  let refocus = false;

  function setText(id, text) {
    const el = $(id);
    el.textContent = text || "";
    return el;
  }

  function showWarning(text) {
    const el = setText("gate-warning", text);
    el.hidden = !text;
  }

  function clearPhoto() {
    const img = $("gate-photo");
    img.hidden = true;
    img.removeAttribute("src");
    if (photoUrl) URL.revokeObjectURL(photoUrl);
    photoUrl = null;
  }

  function open(kind) {
    refocus = refocus || document.activeElement === $("gate-code");
    result.className = "gate-result is-" + kind;
    result.hidden = false;
    clearTimeout(hideTimer);
  }

  function close() {
    result.hidden = true;
    clearTimeout(hideTimer);
    clearPhoto();
    if (refocus) $("gate-code").focus();
    refocus = false;
  }

  function showPending() {
    open("pending");
    setText("gate-verdict", "…");
    setText("gate-reason", T.checking);
    $("gate-flag").hidden = true;
    $("gate-holder").hidden = true;
    $("gate-offline-note").hidden = true;
    setText("gate-session", "");
    clearPhoto();
  }

  function showVerdict(view) {
    const kind = view.decision === "admit" ? (view.direction === "out" ? "exit" : "admit") : "deny";
    open(kind);
    setText("gate-verdict", kind === "admit" ? T.admit : kind === "exit" ? T.exit : T.deny);
    setText("gate-reason", view.message);
    const flag = setText("gate-flag", view.flagMessage);
    flag.hidden = !view.flagMessage;
    $("gate-offline-note").hidden = !view.offline;
    setText("gate-session", view.sessionTitle);
    const holder = $("gate-holder");
    holder.hidden = !view.number;
    setText("gate-name", view.name);
    setText("gate-outlet", view.outlet);
    setText("gate-country", view.country);
    setText("gate-number", view.number ? T.badge + " " + view.number : "");
    root.dataset.lastDecision = view.decision;
    root.dataset.lastReason = view.reason;
    hideTimer = setTimeout(close, view.decision === "admit" && !view.flagMessage ? 6000 : 15000);
  }

  async function showPhoto(url) {
    try {
      const response = await api("GET", url, undefined, 5000);
      if (!response.ok) return;
      const blob = await response.blob();
      if (result.hidden) return;
      clearPhoto();
      photoUrl = URL.createObjectURL(blob);
      const img = $("gate-photo");
      img.src = photoUrl;
      img.hidden = false;
    } catch (e) {
      /* no photo: the agent still has the name and the identity document */
    }
  }

  function showOnline(body) {
    const h = body.holder;
    showVerdict({
      decision: body.decision,
      direction: body.direction,
      reason: body.reason,
      message: body.message,
      flagMessage: body.flag_message,
      sessionTitle: body.session ? body.session.title : "",
      name: h ? h.name : "",
      outlet: h ? h.outlet : "",
      country: h ? h.country_name : "",
      number: h ? h.number + (h.version > 1 ? " · v" + h.version : "") : "",
      offline: false,
    });
    if (h && h.photo_url) showPhoto(h.photo_url);
  }

  function showOffline(decided, dir) {
    const messages = (sync && sync.messages) || { reasons: {}, flags: {} };
    const b = decided.badge;
    showVerdict({
      decision: decided.decision,
      direction: dir,
      reason: decided.reason,
      message: messages.reasons[decided.reason] || decided.reason,
      flagMessage: decided.flag ? messages.flags[decided.flag] || decided.flag : "",
      sessionTitle: decided.session ? decided.session.title : "",
      name: "",
      outlet: "",
      country: "",
      number: b ? String(b.badgeId).padStart(6, "0") + (b.version > 1 ? " · v" + b.version : "") : "",
      offline: true,
    });
  }

  // --- scanning ----------------------------------------------------------------------------------
  let chain = Promise.resolve();

  function submit(code) {
    if (!code) return;
    const dir = direction;
    chain = chain.then(() => scan(code, dir)).catch((e) => console.error("gate:", e));
  }

  async function scan(code, dir) {
    const clientScanId = uuid();
    showPending();
    if (!token) await renewToken();
    if (signedOutNow) {
      open("deny");
      setText("gate-verdict", "!");
      setText("gate-reason", T.signedOut);
      return;
    }
    if (navigator.onLine && deviceId) {
      try {
        const response = await api("POST", API.scan, {
          code,
          direction: dir,
          device_id: deviceId,
          client_scan_id: clientScanId,
        });
        if (response.ok) {
          const body = await response.json();
          if (body.decision === "admit" && body.holder && body.session) {
            rememberDirection(body.holder.badge_id, body.session.id, body.direction);
          }
          showOnline(body);
          scheduleCounters();
          flushQueue();
          return;
        }
        if (response.status >= 400 && response.status < 500 && response.status !== 401) {
          const error = await response.json().catch(() => ({}));
          open("deny");
          setText("gate-verdict", "!");
          setText("gate-reason", T.error + " " + (error.message || response.status));
          return;
        }
        /* 401 after renewal, 5xx: decide here, upload later */
      } catch (e) {
        /* the network failed or timed out: decide here */
      }
    }
    if (!sync || signedOutNow) {
      open("deny");
      setText("gate-verdict", "!");
      setText("gate-reason", signedOutNow ? T.signedOut : T.noList);
      return;
    }
    const at = now();
    const decided = await decideOffline(code, dir, at);
    if (decided.decision === "admit" && decided.badge && decided.session) {
      rememberDirection(decided.badge.badgeId, decided.session.id, dir);
    }
    const queue = queued();
    const item = {
      client_scan_id: clientScanId,
      checkpoint: checkpointId,
      code,
      direction: dir,
      scanned_at: new Date(at).toISOString(),
      decision: decided.decision,
      reason: decided.reason,
      session: decided.session ? decided.session.id : null,
      sync: sync.sync,
    };
    if (Number.isInteger(agentId) && agentId > 0) {
      item.agent = agentId;
      await signScan(item);
    }
    queue.push(item);
    store.set(KEY.queue, queue);
    updateStatus();
    showOffline(decided, dir);
  }

  // The text field: a USB scanner types the code and presses Enter (so does a person).
  $("gate-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("gate-code");
    const code = input.value; // verbatim: a trailing space can be part of a code
    input.value = "";
    refocus = true;
    submit(code);
  });

  $("gate-dismiss").addEventListener("click", close);
  result.addEventListener("click", (event) => {
    if (event.target === result) close();
  });

  for (const button of document.querySelectorAll("[data-direction]")) {
    button.addEventListener("click", () => {
      direction = button.dataset.direction;
      for (const other of document.querySelectorAll("[data-direction]")) {
        const active = other === button;
        other.classList.toggle("is-active", active);
        other.setAttribute("aria-pressed", String(active));
      }
      root.dataset.direction = direction;
    });
  }

  // --- the camera --------------------------------------------------------------------------------
  const video = $("gate-video");
  const cameraButton = $("gate-camera");
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  let stream = null;
  let lastCode = "";
  let lastCodeAt = 0;
  let lastFrame = 0;

  function cameraError(text) {
    const el = setText("gate-camera-error", text);
    el.hidden = !text;
  }

  async function startCamera() {
    cameraError("");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.jsQR) {
      cameraError(T.noCamera);
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: "environment" } },
        audio: false,
      });
    } catch (e) {
      cameraError(T.cameraDenied);
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    cameraButton.textContent = cameraButton.dataset.stop;
    try {
      await video.play();
    } catch (e) {
      /* autoplay of a muted inline video is allowed; ignore odd browsers */
    }
    requestAnimationFrame(frame);
  }

  function stopCamera() {
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    cameraButton.textContent = cameraButton.dataset.start;
  }

  function frame(time) {
    if (!stream) return;
    if (time - lastFrame > 150 && video.readyState >= 2 && video.videoWidth) {
      lastFrame = time;
      const scale = Math.min(1, 720 / Math.max(video.videoWidth, video.videoHeight));
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      const found = window.jsQR(image.data, canvas.width, canvas.height, {
        inversionAttempts: "dontInvert",
      });
      if (found && found.data) {
        const t = performance.now();
        if (found.data !== lastCode || t - lastCodeAt > 3000) submit(found.data);
        lastCode = found.data;
        lastCodeAt = t;
      }
    }
    requestAnimationFrame(frame);
  }

  cameraButton.addEventListener("click", () => (stream ? stopCamera() : startCamera()));

  // --- signing out ----------------------------------------------------------------------------------
  // After sign-out the page stops deciding: the list, the history of who is inside and the kept
  // copies of the gate pages are dropped. The queue of scans to upload stays (they happened),
  // signed with the key of the agent who made them.
  let signedOutNow = false;

  function signedOut() {
    signedOutNow = true;
    token = "";
    scanKey = null;
    forgetList();
    root.dataset.state = "signed-out";
    showWarning(T.signedOut);
    if ("serviceWorker" in navigator && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "forget-pages" });
    }
  }

  const signOut = $("gate-sign-out");
  if (signOut) {
    signOut.addEventListener("submit", () => {
      signedOut();
    });
  }

  // --- reload without network ----------------------------------------------------------------------
  // The service worker (templates/gate/sw.js) keeps the last copy of this page and its assets,
  // so that the agent can reload or reopen it while the venue network is down.
  function registerServiceWorker() {
    const url = root.dataset.serviceWorker;
    if (!url || !("serviceWorker" in navigator)) return;
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "page-kept") {
        root.dataset.offlineReady = event.data.kept ? "true" : "false";
      }
    });
    navigator.serviceWorker
      .register(url)
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => {
        if (navigator.serviceWorker.controller) {
          root.dataset.offlineReady = "true"; // the worker kept this page as it passed
        } else {
          // This load came before the worker existed: ask it to keep a copy of the page now.
          keepPage();
        }
      })
      .catch(() => null);
  }

  // Ask the worker to take a fresh copy of this page from the network and keep it.
  function keepPage() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready
      .then((registration) => registration.active.postMessage({ type: "keep-page", url: location.href }))
      .catch(() => null);
  }

  // --- start ---------------------------------------------------------------------------------------
  window.addEventListener("online", () => {
    updateStatus();
    flushQueue();
    refreshSync();
    refreshCounters();
  });
  window.addEventListener("offline", updateStatus);

  const cached = store.get(KEY.sync, null);
  (cached ? applyEnvelope(cached) : Promise.resolve())
    .catch(() => null)
    .then(refreshSync)
    .then(() => {
      updateStatus();
      flushQueue();
      refreshCounters();
    });
  updateStatus();
  registerServiceWorker();
  setInterval(flushQueue, 10000);
  setInterval(refreshCounters, 15000);
  setInterval(refreshSync, 60000);
  setInterval(showStale, 15000);
})();
