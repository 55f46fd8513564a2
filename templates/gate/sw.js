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
      .then(() => self.clients.claim())
  );
});

function isGatePage(url) {
  if (url.origin !== self.location.origin || !url.pathname.startsWith(SCOPE)) return false;
  const rest = url.pathname.slice(SCOPE.length);
  return rest === "" || /^\d+\/$/.test(rest);
}

async function pageFromNetwork(request) {
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected && response.type === "basic") {
      const cache = await caches.open(PAGES_CACHE);
      await cache.put(request.url, response.clone());
    }
    return response;
  } catch (error) {
    const cached = await caches.match(request.url, { cacheName: PAGES_CACHE });
    if (cached) return cached;
    return new Response(OFFLINE_TEXT, {
      status: 503,
      headers: { "Content-Type": "text/plain; charset=utf-8" },
    });
  }
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
  if (data.type !== "keep-page") return;
  const url = new URL(data.url, self.location.origin);
  if (!isGatePage(url)) return;
  event.waitUntil(
    fetch(url, { credentials: "same-origin" })
      .then((response) => {
        if (!response.ok || response.redirected) return false;
        return caches
          .open(PAGES_CACHE)
          .then((cache) => cache.put(url.href, response))
          .then(() => true);
      })
      .catch(() => false)
      .then((kept) => {
        if (event.source) event.source.postMessage({ type: "page-kept", kept: kept });
      })
  );
});
