// The address step's proof of work (accreditation/apply/pow.py, ALTCHA's format): find the
// number whose SHA-256 with the challenge's salt is the challenge, put the answer in the
// form, and let it go. Nothing for the person to do: it runs while they type.
(function () {
  "use strict";
  const form = document.getElementById("address-form");
  const box = document.getElementById("pow");
  if (!form || !box || !window.crypto || !window.crypto.subtle) return;
  const field = form.querySelector('input[name="altcha"]');
  const status = document.getElementById("pow-status");
  const challenge = JSON.parse(box.dataset.challenge);
  const encoder = new TextEncoder();
  const BATCH = 500;

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function solve() {
    for (let start = 0; start <= challenge.maxNumber; start += BATCH) {
      const numbers = [];
      for (let n = start; n < start + BATCH && n <= challenge.maxNumber; n += 1) numbers.push(n);
      const digests = await Promise.all(
        numbers.map((n) => crypto.subtle.digest("SHA-256", encoder.encode(challenge.salt + n)))
      );
      const found = digests.findIndex((digest) => hex(digest) === challenge.challenge);
      if (found >= 0) return numbers[found];
    }
    return null;
  }

  let ready = false;
  let sendWhenReady = false;
  solve().then((number) => {
    if (number === null) return;
    field.value = btoa(
      JSON.stringify({
        algorithm: challenge.algorithm,
        challenge: challenge.challenge,
        number: number,
        salt: challenge.salt,
        signature: challenge.signature,
      })
    );
    ready = true;
    box.dataset.solved = "true";
    if (status) status.textContent = status.dataset.ready;
    if (sendWhenReady) form.submit();
  });

  form.addEventListener("submit", (event) => {
    if (ready) return;
    event.preventDefault(); // sent as soon as the check is done
    sendWhenReady = true;
    if (status) status.textContent = status.dataset.working;
  });
})();
