'use strict';
// The statistics page's live part (#live-admissions): fetched again every few seconds while
// the event runs, and put in place of the old one. The server draws everything (SVG); this
// only swaps it. It stops asking once the reader has done nothing for a while (the page's
// data-idle-seconds), so that a tab left open does not keep a staff session alive for ever,
// and stops for good once the session has ended (the answer is then the sign-in page).
{
    const live = document.getElementById('live-admissions');
    const url = live && live.dataset.refreshUrl;
    if (url) {
        const every = Math.max(Number(live.dataset.refreshSeconds) || 30, 10) * 1000;
        const idle = Math.max(Number(live.dataset.idleSeconds) || 900, 60) * 1000;
        let lastActivity = Date.now();
        let paused = false;
        let stopped = false;

        const say = (key) => {
            const note = live.querySelector('.pp-live-note');
            if (note && note.dataset[key]) {
                note.textContent = note.dataset[key];
                note.classList.add('pp-live-stopped');
            }
        };

        const refresh = async () => {
            if (stopped || document.hidden) {
                return;
            }
            if (Date.now() - lastActivity > idle) {
                paused = true;
                say('paused');
                return;
            }
            let response;
            try {
                response = await fetch(url, {credentials: 'same-origin', cache: 'no-store'});
            } catch (error) {
                return; // the network is away: the next round tries again
            }
            if (!response.ok) {
                return;
            }
            const page = new DOMParser().parseFromString(await response.text(), 'text/html');
            const fresh = page.getElementById('live-admissions');
            if (!fresh) {
                stopped = true; // signed out: the answer is the sign-in page
                say('signedOut');
                return;
            }
            live.replaceChildren(...Array.from(fresh.childNodes, (node) => document.importNode(node, true)));
        };

        const active = () => {
            lastActivity = Date.now();
            if (paused) {
                paused = false;
                refresh();
            }
        };
        for (const name of ['pointermove', 'pointerdown', 'keydown', 'wheel', 'touchstart']) {
            document.addEventListener(name, active, {passive: true});
        }
        document.addEventListener('visibilitychange', () => {
            if (!document.hidden) {
                refresh();
            }
        });
        setInterval(refresh, every);
    }
}
