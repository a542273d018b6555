(() => {
  "use strict";
  // Live countdowns, the reader's local time, the call status and the tag/programme filters.
  // The page is complete without this script: it only refreshes what was true at generation.
  const body = document.body;
  const URGENT = Number(body.dataset.urgentSeconds) * 1000;
  const SOON = Number(body.dataset.soonSeconds) * 1000;
  const MINUTE = 60000;
  const HOUR = 60 * MINUTE;

  // The same wording as the command line's time left: two units, rounded down.
  const span = (ms, seconds) => {
    const minutes = Math.floor(ms / MINUTE);
    const days = Math.floor(minutes / 1440);
    const hours = Math.floor((minutes % 1440) / 60);
    const mins = minutes % 60;
    if (days) return (days === 1 ? "1 day" : `${days} days`) + (hours ? ` ${hours} h` : "");
    if (hours) return mins ? `${hours} h ${mins} min` : `${hours} h`;
    return seconds ? `${mins} min ${Math.floor((ms % MINUTE) / 1000)} s` : `${mins} min`;
  };
  // In the last hour the seconds show too.
  const timeLeft = (ms) => {
    if (ms > 0) return ms < MINUTE ? `in ${Math.ceil(ms / 1000)} s` : `in ${span(ms, true)}`;
    return -ms < MINUTE ? "closed just now" : `closed ${span(-ms, false)} ago`;
  };
  const urgency = (ms) => (ms <= 0 ? "" : ms <= URGENT ? "urgent" : ms <= SOON ? "soon" : "");

  const readerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const local = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23", timeZoneName: "short", numberingSystem: "latn",
  });
  const localText = (date) => {
    const p = Object.fromEntries(local.formatToParts(date).map((x) => [x.type, x.value]));
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${p.timeZoneName}`;
  };

  const calls = Array.from(document.querySelectorAll("article.call"));
  for (const call of calls) {
    if (call.dataset.zone === readerZone) continue;
    for (const el of call.querySelectorAll("[data-local]")) {
      el.textContent = `your time: ${localText(new Date(el.dataset.local))}`;
      el.hidden = false;
    }
  }

  const countdowns = Array.from(document.querySelectorAll("[data-until]"));
  const tick = () => {
    const now = Date.now();
    let soonest = Infinity;
    for (const el of countdowns) {
      const ms = Date.parse(el.dataset.until) - now;
      el.textContent = timeLeft(ms);
      el.closest("li").dataset.urgency = urgency(ms);
      if (ms > 0) soonest = Math.min(soonest, ms);
    }
    for (const call of calls) {
      const opens = call.dataset.opens ? Date.parse(call.dataset.opens) : -Infinity;
      const closes = Date.parse(call.dataset.closes);
      const status = now < opens ? "forthcoming" : now < closes ? "open" : "closed";
      const badge = call.querySelector(".status");
      if (badge.dataset.status !== status) {
        badge.dataset.status = status;
        badge.textContent = status;
      }
    }
    // Every second in the last hour, else on the next minute.
    setTimeout(tick, soonest < HOUR ? 1000 - (now % 1000) : MINUTE - (now % MINUTE));
  };
  tick();
  document.getElementById("page:clock").textContent = "Times left update live.";

  // Filters: a call shows when it has one of the ticked tags (if any are ticked) and one of the
  // ticked programmes (if any are ticked).
  const filters = document.getElementById("page:filters");
  if (!filters) return;
  const boxes = Array.from(filters.querySelectorAll("input[type=checkbox]"));
  const count = document.getElementById("page:count");
  const bars = Array.from(document.querySelectorAll("[data-bar]"));
  const apply = () => {
    const ticked = (name) => boxes.filter((b) => b.checked && b.name === name).map((b) => b.value);
    const tags = ticked("tag");
    const programmes = ticked("programme");
    let shown = 0;
    for (const call of calls) {
      const own = JSON.parse(call.dataset.tags);
      const show =
        (!tags.length || tags.some((t) => own.includes(t))) &&
        (!programmes.length || programmes.includes(call.dataset.programme));
      call.parentElement.hidden = !show;
      for (const bar of bars) if (bar.dataset.bar === call.id) bar.classList.toggle("dim", !show);
      shown += show ? 1 : 0;
    }
    count.textContent = `Showing ${shown} of ${calls.length}`;
  };
  filters.addEventListener("change", apply);
  document.getElementById("page:clear").addEventListener("click", () => {
    for (const b of boxes) b.checked = false;
    apply();
  });
  // A link to a call that the filters hide shows everything again.
  const reveal = () => {
    const id = decodeURIComponent(location.hash.slice(1));
    const target = id && document.getElementById(id);
    if (target && target.parentElement.hidden) {
      for (const b of boxes) b.checked = false;
      apply();
      target.scrollIntoView();
    }
  };
  window.addEventListener("hashchange", reveal);
  filters.hidden = false;
  apply();
})();
