/* Signed out (from any staff page): a gate page kept on this phone stops deciding. The list,
 * the history of who is inside and the kept copies of the gate pages go; the queue of scans
 * still to upload stays (they happened at the gate). See static/gate/gate.js. */
(function () {
  "use strict";
  try {
    for (const key of Object.keys(localStorage)) {
      if (key.startsWith("pp-gate-sync-") || key.startsWith("pp-gate-inside-")) {
        localStorage.removeItem(key);
      }
    }
  } catch (e) {
    /* no storage */
  }
  if (window.caches) caches.delete("presspass-gate-pages").catch(() => null);
})();
