// Switching language reloads the page: what the person typed in a form marked
// data-keep-on-language is kept in this tab (sessionStorage) and put back after the reload.
// Files cannot be put back by a page; the form says so when some were chosen.
(function () {
  "use strict";
  const switcher = document.querySelector('form[action*="setlang"]');
  const form = document.querySelector("form[data-keep-on-language]");
  if (!switcher || !form || !window.sessionStorage) return;
  const key = "presspass-form:" + window.location.pathname;
  const skip = new Set(["csrfmiddlewaretoken", "started", "altcha", "homepage"]);

  function fields() {
    return Array.from(form.elements).filter(
      (el) => el.name && !skip.has(el.name) && el.type !== "file" && !el.disabled &&
        el.type !== "submit" && el.type !== "button"
    );
  }

  switcher.addEventListener("submit", () => {
    const saved = { values: [], files: false };
    for (const el of fields()) {
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) saved.values.push([el.name, el.value, true]);
      } else if (el.tagName === "SELECT" && el.multiple) {
        for (const option of el.selectedOptions) saved.values.push([el.name, option.value, true]);
      } else if (el.value) {
        saved.values.push([el.name, el.value, false]);
      }
    }
    saved.files = Array.from(form.querySelectorAll('input[type="file"]')).some(
      (input) => input.files && input.files.length
    );
    sessionStorage.setItem(key, JSON.stringify(saved));
  });

  const stored = sessionStorage.getItem(key);
  if (!stored) return;
  sessionStorage.removeItem(key);
  let saved;
  try {
    saved = JSON.parse(stored);
  } catch (error) {
    return;
  }
  const checked = saved.values.filter((v) => v[2]);
  for (const el of fields()) {
    if (el.type === "checkbox" || el.type === "radio") {
      el.checked = checked.some(([name, value]) => name === el.name && value === el.value);
    } else if (el.tagName === "SELECT" && el.multiple) {
      for (const option of el.options) {
        option.selected = checked.some(([name, value]) => name === el.name && value === option.value);
      }
    } else {
      const found = saved.values.find(([name, , multi]) => name === el.name && !multi);
      if (found) el.value = found[1];
    }
  }
  // A part folded away (an interview request's row) that holds an answer is shown open.
  for (const [name] of saved.values) {
    const el = form.elements.namedItem(name);
    const inside = el && (el.closest ? el : el[0]);
    const details = inside && inside.closest && inside.closest("details");
    if (details) details.open = true;
  }
  const note = document.getElementById("kept-on-language");
  if (note) {
    note.hidden = false;
    const files = document.getElementById("kept-files-note");
    if (files) files.hidden = !saved.files;
  }
})();
