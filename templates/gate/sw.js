{% load i18n %}/* Presspass gate service worker (served at {{ scope }}sw.js, scope {{ scope }}).
 *
 * It lets a gate agent reload or reopen the gate page while the venue network is down: the
 * gate pages are fetched from the network first and their last good copy is kept; the
 * page's scripts and styles are kept beside them. The JSON API is never touched here: the
 * page itself decides offline and queues its scans (static/gate/gate.js).
 */
"use strict";

const ASSETS_CACHE = "presspass-gate-assets-{{ version }}";
const PAGES_CACHE = "presspass-gate-pages";
const ASSETS = {{ assets|safe }};
const SCOPE = new URL("{{ scope }}", self.location.origin).pathname;
const OFFLINE_TEXT = "{{ offline_text|escapejs }}";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(ASSETS_CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith("presspass-gate-assets-") && name !== ASSETS_CACHE)
            .map((name) => caches.delete(name))
        )
      )
      .then(refreshPages)
      .then(() => self.clients.claim())
  );
});

// A new version of the assets came with this worker: the pages kept by the previous one name
// the old files, so take them again (or forget them if they cannot be had now).
async function refreshPages() {
  const cache = await caches.open(PAGES_CACHE);
  for (const request of await cache.keys()) {
    try {
      const response = await fetch(request.url, { credentials: "same-origin" });
      await keepPage(request.url, response);
      if (!response.ok) await cache.delete(request);
    } catch (error) {
      await cache.delete(request);
    }
  }
}

function isGatePage(url) {
  if (url.origin !== self.location.origin || !url.pathname.startsWith(SCOPE)) return false;
  const rest = url.pathname.slice(SCOPE.length);
  return rest === "" || /^\d+\/$/.test(rest);
}

// A venue network that is "up" but leads nowhere must not leave the agent waiting.
const NETWORK_PATIENCE_MS = 4000;

function offlineResponse() {
  return new Response(OFFLINE_TEXT, {
    status: 503,
    headers: { "Content-Type": "text/plain; charset=utf-8" },
  });
}

async function keepPage(url, response) {
  const cache = await caches.open(PAGES_CACHE);
  if (response.ok && !response.redirected && response.type === "basic") {
    await cache.put(url, response.clone());
  } else if (
    response.type === "opaqueredirect" ||
    response.redirected ||
    response.status === 403 ||
    response.status === 404
  ) {
    await cache.delete(url); // signed out, no longer a gate agent, or no such checkpoint
  }
}

async function pageFromNetwork(request) {
  const url = request.url;
  const network = fetch(request).then(async (response) => {
    await keepPage(url, response);
    return response;
  });
  const answered = network.catch(() => null); // null: no network at all
  const waited = new Promise((resolve) => setTimeout(resolve, NETWORK_PATIENCE_MS, null));
  const response = await Promise.race([answered, waited]);
  if (response && response.status < 500) return response;
  const cached = await caches.match(url, { cacheName: PAGES_CACHE });
  if (cached) return cached;
  if (response) return response; // the server's own error page, when there is no copy
  return (await answered) || offlineResponse(); // no copy: wait for the network after all
}

async function assetFromCache(request) {
  const cached = await caches.match(request, { cacheName: ASSETS_CACHE });
  return cached || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (request.mode === "navigate" && isGatePage(url)) {
    event.respondWith(pageFromNetwork(request));
  } else if (url.origin === self.location.origin && ASSETS.includes(url.pathname)) {
    event.respondWith(assetFromCache(request));
  }
});

self.addEventListener("message", (event) => {
  // The page asks to keep a copy of itself (it was loaded before this worker controlled it).
  const data = event.data || {};
  if (data.type === "forget-pages") {
    // The agent signed out: no copy of a gate page may go on deciding without a sign-in.
    event.waitUntil(caches.delete(PAGES_CACHE));
    return;
  }
  if (data.type !== "keep-page") return;
  const url = new URL(data.url, self.location.origin);
  if (!isGatePage(url)) return;
  event.waitUntil(
    fetch(url, { credentials: "same-origin" })
      .then((response) => keepPage(url.href, response).then(() => response.ok && !response.redirected))
      .catch(() => false)
      .then((kept) => {
        if (event.source) event.source.postMessage({ type: "page-kept", kept: kept });
      })
  );
});
