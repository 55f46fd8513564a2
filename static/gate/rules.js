/* Presspass gate rules for a phone deciding offline: the same rules, in the same order, as
 * accreditation/gate.py (choose_session, session_reason, badge_reason, scan_reason). One table
 * of cases (tests/gate/rules_cases.json) is run against both: tests/gate/test_rules_table.py for
 * the Python, tests/browser/test_gate_rules_browser.py for this file in chromium.
 *
 * Windows are {id, mediaAccess, opensAt, closesAt} with times in milliseconds (null: not
 * announced), as the server computed them for the checkpoint (an unknown end already settled).
 */
(function (global) {
  "use strict";

  const isOpen = (w) => w.mediaAccess !== "closed";

  function chooseSession(windows, at, granted, dir, inside) {
    if (!windows.length) return null;
    if (dir === "out" && inside && inside.size) {
      const within = windows.filter((w) => inside.has(w.id));
      if (within.length) windows = within;
    }
    const rank = (w) => (granted.has(w.id) && isOpen(w) ? 2 : 0) + (isOpen(w) ? 1 : 0);
    const best = (list) => list.reduce((a, b) => (rank(b) > rank(a) ? b : a));
    const current = windows.filter((w) => w.opensAt !== null && w.opensAt <= at && at < w.closesAt);
    if (dir !== "out") {
      // A session closed to media in progress decides every entry, whatever else is served.
      const closed = current.filter((w) => !isOpen(w));
      if (closed.length) {
        return closed.reduce((a, b) => (b.opensAt < a.opensAt || (b.opensAt === a.opensAt && b.id < a.id) ? b : a));
      }
    }
    if (current.length) return best(current);
    const past = windows.filter((w) => w.closesAt !== null && w.closesAt <= at);
    const latest = (list) => list.reduce((a, b) => (b.closesAt > a.closesAt ? b : a));
    if (dir === "out" && past.length) return latest(past);
    const upcoming = windows.filter((w) => w.opensAt !== null && at < w.opensAt);
    if (upcoming.length) {
      const first = Math.min(...upcoming.map((w) => w.opensAt));
      return best(upcoming.filter((w) => w.opensAt === first));
    }
    const unannounced = windows.filter((w) => w.opensAt === null);
    if (unannounced.length) return best(unannounced);
    return latest(past);
  }

  function sessionReason(w, at, granted) {
    if (!w) return "no_session";
    if (!isOpen(w)) return "closed_to_media";
    if (w.opensAt === null) return "not_announced";
    if (at < w.opensAt) return "too_early";
    if (at >= w.closesAt) return "session_over";
    if (!granted.has(w.id)) return "not_granted";
    return "ok";
  }

  // The badge's state from the revocation list: entry [id, version, state] or none (a badge in
  // its first version, collected). state: "" (only older versions refused), "revoked",
  // "not_collected".
  function badgeReason(claimsVersion, entry) {
    const version = entry ? entry[1] : 1;
    if (claimsVersion < version) return "old_version";
    if (claimsVersion !== version) return "unknown_badge";
    return entry && entry[2] ? entry[2] : null;
  }

  function scanReason(codeReason, claims, entry, known, session, at, dir) {
    if (codeReason) return codeReason;
    if (!known) return "unknown_badge";
    if (dir === "out") return "exit";
    return badgeReason(claims.version, entry) || sessionReason(session, at, new Set(claims.sessionIds));
  }

  global.PresspassGateRules = { chooseSession, sessionReason, badgeReason, scanReason };
})(window);
