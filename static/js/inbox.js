// The agents' inbox: list/thread panes, infinite scroll, composer, keyboard, live updates.
// No inline scripts (CSP): everything is wired here through data- attributes and htmx.
(() => {
  "use strict";
  const root = document.getElementById("inbox");
  if (!root) return;
  const base = root.dataset.base; // /t/<slug>/inbox/
  const slug = root.dataset.slug;
  const list = document.getElementById("conversation-list");
  const threadPane = document.getElementById("thread-pane");
  const contactPane = document.getElementById("contact-pane");
  const newActivity = document.getElementById("new-activity");
  const announcer = document.getElementById("inbox-announcer");
  const phone = window.matchMedia("(max-width: 760px)");
  let since = root.dataset.now;
  let openId = root.dataset.open ? Number(root.dataset.open) : null;
  let unseen = 0;
  const originalTitle = document.title;

  const csrf = () => {
    const headers = document.body.getAttribute("hx-headers");
    try { return JSON.parse(headers)["X-CSRFToken"]; } catch (e) { return ""; }
  };
  const filtersQs = () => root.dataset.filters || "";
  const post = (url, body) => fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "X-CSRFToken": csrf(), "Content-Type": "application/x-www-form-urlencoded" },
    body,
  });
  const parseRows = (html) => {
    const tpl = document.createElement("template");
    tpl.innerHTML = html;
    return Array.from(tpl.content.querySelectorAll("li.conv-row"));
  };

  // --- opening a conversation ---------------------------------------------------------
  function markActive() {
    list.querySelectorAll(".conv-row.active").forEach((r) => {
      r.classList.remove("active");
      const link = r.querySelector("a.conv-link");
      if (link) link.removeAttribute("aria-current");
    });
    const row = openId && document.getElementById(`conv-${openId}`);
    if (row) {
      row.classList.add("active");
      row.classList.remove("unread");
      const badge = row.querySelector(".unread-badge");
      if (badge) badge.remove();
      const link = row.querySelector("a.conv-link");
      if (link) link.setAttribute("aria-current", "true");
    }
  }
  // Text for screen readers, said politely (focus stays where it is). The wording comes from
  // the page (translated there): "%(name)s" placeholders are filled in here.
  function announce(template, values, detail = "") {
    if (!announcer || !template) return;
    let text = template.replace(/%\((\w+)\)s/g, (_, key) => values[key] || "");
    if (detail) text = `${text}: ${detail}`;
    announcer.textContent = "";
    setTimeout(() => { announcer.textContent = text; }, 50);
  }

  // --- panes on a phone: the list, the thread, or the contact; filters in a sheet ----------
  function showPane(pane, focusSelector) {
    root.dataset.pane = pane;
    if (pane !== "thread") closeMenu();
    window.scrollTo(0, 0);
    if (focusSelector) {
      const target = document.querySelector(focusSelector);
      if (target) target.focus({ preventScroll: true });
    }
  }
  function backToList() {
    showPane("list");
    const link = openId && document.querySelector(`#conv-${openId} a.conv-link`);
    if (link) { link.focus({ preventScroll: true }); link.scrollIntoView({ block: "nearest" }); }
  }
  function closeMenu() {
    const head = document.getElementById("thread-head");
    if (!head) return;
    head.classList.remove("menu-open");
    const toggle = head.querySelector("[data-menu-toggle]");
    if (toggle) toggle.setAttribute("aria-expanded", "false");
  }
  function toggleMenu(toggle) {
    const head = document.getElementById("thread-head");
    const open = !head.classList.contains("menu-open");
    head.classList.toggle("menu-open", open);
    toggle.setAttribute("aria-expanded", String(open));
    if (open) {
      const first = head.querySelector("#thread-actions select, #thread-actions button");
      if (first) first.focus();
    }
  }
  const sheetToggle = document.querySelector("[data-open-filters]");
  const backdrop = document.querySelector(".sheet-backdrop");
  function setSheet(open) {
    if (open) root.dataset.sheet = "open"; else delete root.dataset.sheet;
    if (backdrop) backdrop.hidden = !open;
    if (sheetToggle) sheetToggle.setAttribute("aria-expanded", String(open));
    if (open) {
      const first = document.querySelector("#filter-sheet .filter-link, #filter-sheet input");
      if (first) first.focus();
    } else if (sheetToggle && phone.matches) sheetToggle.focus();
  }
  // Swipe right from the left edge goes back one screen.
  let touchStart = null;
  document.addEventListener("touchstart", (e) => {
    const t = e.touches[0];
    touchStart = t.clientX < 40 && root.dataset.pane !== "list" ? { x: t.clientX, y: t.clientY } : null;
  }, { passive: true });
  document.addEventListener("touchend", (e) => {
    if (!touchStart) return;
    const t = e.changedTouches[0];
    if (t.clientX - touchStart.x > 80 && Math.abs(t.clientY - touchStart.y) < 60) {
      if (root.dataset.pane === "contact") showPane("thread", ".head-title"); else backToList();
    }
    touchStart = null;
  }, { passive: true });
  // The composer stays above the on-screen keyboard: the thread is as tall as what is visible.
  function fitViewport() {
    const height = window.visualViewport ? window.visualViewport.height : window.innerHeight;
    document.documentElement.style.setProperty("--app-height", `${Math.round(height)}px`);
  }
  if (window.visualViewport) window.visualViewport.addEventListener("resize", fitViewport);
  window.addEventListener("resize", fitViewport);
  fitViewport();
  // Panes load with fetch so that only the latest choice lands (fast j/k presses).
  function loadPane(url, target, id, after) {
    fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
      .then((html) => {
        if (id !== openId) return;
        target.innerHTML = html;
        htmx.process(target);
        if (after) after();
      })
      .catch(() => {});
  }
  function openConversation(id, { push = true, focusThread = false } = {}) {
    openId = Number(id);
    root.dataset.open = String(openId);
    showPane("thread");
    const after = () => {
      afterThreadSwap();
      if (focusThread && phone.matches) {
        const title = document.querySelector("#thread-head .head-title");
        if (title) title.focus({ preventScroll: true });
      }
    };
    loadPane(`${base}c/${openId}/`, threadPane, openId, after);
    loadPane(`${base}c/${openId}/contact/`, contactPane, openId);
    if (push) {
      const params = new URLSearchParams(filtersQs());
      params.set("c", String(openId));
      history.replaceState(null, "", `${base}?${params.toString()}`);
    }
    markActive();
  }
  list.addEventListener("click", (event) => {
    const link = event.target.closest("a.conv-link");
    if (!link || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    openConversation(link.dataset.conversation, { focusThread: true });
  });
  document.addEventListener("click", (event) => {
    const hit = event.target.closest(".search-hit a[data-conversation]");
    if (hit) { event.preventDefault(); openConversation(hit.dataset.conversation); }
    if (event.target.closest("[data-back]")) backToList();
    if (event.target.closest("[data-show-contact]")) showPane("contact", "#contact-panel h2");
    if (event.target.closest("[data-back-to-thread]")) showPane("thread", "#thread-head .head-title");
    const menuToggle = event.target.closest("[data-menu-toggle]");
    if (menuToggle) toggleMenu(menuToggle);
    if (event.target.closest("[data-open-filters]")) setSheet(true);
    if (event.target.closest("[data-close-filters]")) setSheet(false);
    if (event.target.closest("[data-clear-search]")) clearSearch();
    const unreadBtn = event.target.closest("[data-mark-unread]");
    if (unreadBtn) {
      post(unreadBtn.dataset.markUnread, "").then(() => {
        const row = document.getElementById(`conv-${openId}`);
        if (row) row.classList.add("unread");
        htmx.trigger(document.body, "inbox:refresh-counts");
      });
    }
    const del = event.target.closest("[data-delete-view]");
    if (del) post(del.dataset.deleteView, "").then(() => del.closest("li").remove());
    if (event.target.closest("[data-close-help]")) toggleHelp(false);
    if (event.target === newActivity) { list.scrollTop = 0; newActivity.hidden = true; catchUp(); }
  });
  document.addEventListener("change", (event) => {
    const select = event.target.closest("select[data-autosubmit]");
    if (select && select.value !== "") htmx.trigger(select.form, "submit");
  });

  // --- thread: scroll to newest, keep position when older messages load ------------------
  function scrollThreadToEnd() {
    const scroller = document.getElementById("thread-scroll");
    if (scroller) scroller.scrollTop = scroller.scrollHeight;
  }
  let olderHeight = null;
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const elt = event.detail.target;
    if (elt && elt.hasAttribute && elt.hasAttribute("data-older")) {
      const scroller = document.getElementById("thread-scroll");
      olderHeight = scroller ? scroller.scrollHeight - scroller.scrollTop : null;
    }
  });
  function afterThreadSwap() {
    scrollThreadToEnd();
    setupComposer();
    updateWindow();
    markActive();
  }
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target === threadPane) afterThreadSwap();
  });
  document.body.addEventListener("htmx:afterSettle", () => {
    if (olderHeight !== null) {
      const scroller = document.getElementById("thread-scroll");
      if (scroller) scroller.scrollTop = scroller.scrollHeight - olderHeight;
      olderHeight = null;
    }
  });

  // Optional panels (orders and bookings) that are not available on this server.
  document.body.addEventListener("htmx:responseError", (event) => {
    const elt = event.detail.elt;
    if (elt && elt.hasAttribute("data-optional-panel")) {
      elt.textContent = "—";
      elt.classList.add("muted");
    }
  });

  // --- composer ------------------------------------------------------------------------
  let canned = [];
  let pickerIndex = 0;
  function setupComposer() {
    const data = document.getElementById("canned-responses");
    try { canned = data ? JSON.parse(data.textContent) : []; } catch (e) { canned = []; }
    const form = document.getElementById("composer");
    if (!form) return;
    const text = document.getElementById("composer-text");
    const reply = form.querySelector('input[name="mode"][value="reply"]');
    const syncMode = () => form.classList.toggle("note-mode", !reply.checked);
    form.querySelectorAll('input[name="mode"]').forEach((r) => r.addEventListener("change", syncMode));
    syncMode();
    text.addEventListener("keydown", onComposerKey);
    text.addEventListener("input", renderPicker);
  }
  function pickerMatches() {
    const text = document.getElementById("composer-text");
    if (!text || !text.value.startsWith("/") || text.value.includes("\n")) return [];
    const q = text.value.slice(1).toLowerCase();
    return canned.filter((c) => c.shortcut.toLowerCase().includes(q)).slice(0, 8);
  }
  function renderPicker() {
    const picker = document.getElementById("canned-picker");
    if (!picker) return;
    const matches = pickerMatches();
    picker.replaceChildren();
    if (!matches.length) { picker.hidden = true; return; }
    pickerIndex = Math.min(pickerIndex, matches.length - 1);
    matches.forEach((c, i) => {
      const item = document.createElement("div");
      item.className = "canned-item" + (i === pickerIndex ? " selected" : "");
      item.setAttribute("role", "option");
      const b = document.createElement("strong");
      b.textContent = `/${c.shortcut}`;
      const span = document.createElement("span");
      span.textContent = ` ${c.text.slice(0, 80)}`;
      item.append(b, span);
      item.addEventListener("mousedown", (e) => { e.preventDefault(); useCanned(c); });
      picker.append(item);
    });
    picker.hidden = false;
  }
  function useCanned(c) {
    const text = document.getElementById("composer-text");
    text.value = c.text;
    renderPicker();
    text.focus();
  }
  function onComposerKey(event) {
    const matches = pickerMatches();
    if (matches.length) {
      if (event.key === "ArrowDown") { pickerIndex = (pickerIndex + 1) % matches.length; renderPicker(); event.preventDefault(); return; }
      if (event.key === "ArrowUp") { pickerIndex = (pickerIndex + matches.length - 1) % matches.length; renderPicker(); event.preventDefault(); return; }
      if (event.key === "Enter" || event.key === "Tab") { useCanned(matches[pickerIndex]); event.preventDefault(); return; }
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      const form = event.target.form;
      if (event.target.value.trim()) htmx.trigger(form, "submit");
    }
    if (event.key === "Escape") event.target.blur();
  }
  function updateWindow() {
    const el = document.getElementById("reply-window");
    if (!el || !el.dataset.closesAt) return;
    const left = new Date(el.dataset.closesAt) - new Date();
    const span = el.querySelector(".time-left");
    if (!span) return;
    const h = left > 0 ? Math.floor(left / 3600000) : 0;
    const m = left > 0 ? Math.floor((left % 3600000) / 60000) : 0;
    span.textContent = h
      ? interpolate(gettext("%(hours)s h %(minutes)s min"), { hours: h, minutes: m }, true)
      : interpolate(gettext("%(minutes)s min"), { minutes: m }, true);
  }
  setInterval(updateWindow, 30000);

  // --- search ----------------------------------------------------------------------------
  const searchBox = document.getElementById("search-box");
  const results = document.getElementById("search-results");
  let searchTimer = null;
  function runSearch() {
    const q = searchBox.value.trim();
    if (q.length < 2) { results.replaceChildren(); return; }
    htmx.ajax("GET", `${base}search/?q=${encodeURIComponent(q)}`, { target: "#search-results", swap: "innerHTML" });
  }
  function clearSearch() { searchBox.value = ""; results.replaceChildren(); }
  if (searchBox) {
    searchBox.addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(runSearch, 250); });
    searchBox.addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); clearTimeout(searchTimer); runSearch(); }
      if (e.key === "Escape") { clearSearch(); searchBox.blur(); }
    });
  }

  // --- filters: changing a select/checkbox applies at once -------------------------------
  const filterForm = document.getElementById("filter-form");
  if (filterForm) {
    filterForm.addEventListener("change", (e) => { if (e.target.name !== "q") filterForm.requestSubmit(); });
    filterForm.addEventListener("submit", () => { if (searchBox) searchBox.disabled = true; });
  }
  const saveView = document.getElementById("save-view-form");
  if (saveView) {
    saveView.addEventListener("submit", (e) => {
      e.preventDefault();
      const body = new URLSearchParams(new FormData(saveView));
      body.set("filters", filtersQs());
      post(saveView.dataset.url, body.toString()).then((r) => { if (r.ok) window.location.reload(); });
    });
  }

  // --- bulk actions ------------------------------------------------------------------------
  const bulkBar = document.getElementById("bulk-bar");
  const selected = () => Array.from(list.querySelectorAll(".bulk-select:checked")).map((c) => c.value);
  list.addEventListener("change", (event) => {
    if (!event.target.classList.contains("bulk-select") || !bulkBar) return;
    const ids = selected();
    bulkBar.hidden = ids.length === 0;
    document.getElementById("bulk-count").textContent = String(ids.length);
  });
  if (bulkBar) {
    bulkBar.addEventListener("submit", (event) => {
      event.preventDefault();
      const [action, value] = bulkBar.elements.action.value.split(":");
      const body = new URLSearchParams({ action, value: value || "" });
      if (bulkBar.elements.snoozed_until.value) body.set("snoozed_until", bulkBar.elements.snoozed_until.value);
      selected().forEach((id) => body.append("ids", id));
      post(bulkBar.dataset.url, body.toString()).then((r) => r.json()).then((data) => {
        list.querySelectorAll(".bulk-select:checked").forEach((c) => { c.checked = false; });
        bulkBar.hidden = true;
        refreshRows((data.ids || []).map(String));
        htmx.trigger(document.body, "inbox:refresh-counts");
        if (data.message) announce(data.message, {});
      });
    });
  }

  // --- keyboard --------------------------------------------------------------------------
  const help = document.getElementById("help-overlay");
  function toggleHelp(show) { help.hidden = !(show === undefined ? help.hidden : show); }
  function move(step) {
    const rows = Array.from(list.querySelectorAll("li.conv-row"));
    if (!rows.length) return;
    let index = rows.findIndex((r) => Number(r.dataset.id) === openId);
    index = index === -1 ? 0 : Math.max(0, Math.min(rows.length - 1, index + step));
    rows[index].scrollIntoView({ block: "nearest" });
    openConversation(rows[index].dataset.id);
    const link = rows[index].querySelector("a.conv-link");
    if (link) link.focus({ preventScroll: true });
  }
  function focusComposer(mode) {
    const form = document.getElementById("composer");
    if (!form) return;
    const radio = form.querySelector(`input[name="mode"][value="${mode}"]`);
    if (radio && !radio.disabled) { radio.checked = true; radio.dispatchEvent(new Event("change")); }
    document.getElementById("composer-text").focus();
  }
  document.addEventListener("keydown", (event) => {
    const t = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    // Escape closes the help overlay even from its own controls.
    if (event.key === "Escape" && !help.hidden) { event.preventDefault(); toggleHelp(false); return; }
    if (event.key === "Escape" && root.dataset.sheet === "open") { event.preventDefault(); setSheet(false); return; }
    if (event.key === "Escape" && document.querySelector("#thread-head.menu-open")) {
      event.preventDefault();
      closeMenu();
      const toggle = document.querySelector("#thread-head [data-menu-toggle]");
      if (toggle) toggle.focus();
      return;
    }
    if (t.closest && t.closest("input, textarea, select, [contenteditable]")) return;
    const actions = {
      j: () => move(1), k: () => move(-1),
      r: () => focusComposer("reply"), n: () => focusComposer("note"),
      e: () => { const b = document.querySelector('[data-action="resolve"]'); if (b) b.click(); },
      "/": () => searchBox && searchBox.focus(),
      "?": () => toggleHelp(),
      Escape: () => toggleHelp(false),
    };
    const run = actions[event.key];
    if (run) { event.preventDefault(); run(); }
  });

  // --- live updates ------------------------------------------------------------------------
  // Pushes are hints; the page asks the database what changed since the last moment seen.
  function atTop() { return list.scrollTop < 40; }
  function placeRow(row) {
    // Insert in sort order (newest activity first) keeping the visible rows where they are.
    const anchor = Array.from(list.querySelectorAll("li.conv-row")).find((r) => r.offsetTop + r.offsetHeight > list.scrollTop);
    const anchorTop = anchor ? anchor.getBoundingClientRect().top : 0;
    const key = parseFloat(row.dataset.sort);
    const existing = document.getElementById(row.id);
    if (existing) {
      // Keep the agent's selection for bulk actions.
      const was = existing.querySelector(".bulk-select");
      const now = row.querySelector(".bulk-select");
      if (was && now) now.checked = was.checked;
      existing.remove();
    }
    const after = Array.from(list.querySelectorAll("li.conv-row")).find((r) => parseFloat(r.dataset.sort) < key);
    if (after) list.insertBefore(row, after);
    else {
      const more = list.querySelector(".list-more");
      if (more) { if (existing) list.insertBefore(row, more); else return false; }
      else list.append(row);
    }
    const empty = list.querySelector(".list-empty");
    if (empty) empty.remove();
    if (anchor && anchor !== row && anchor.isConnected) list.scrollTop += anchor.getBoundingClientRect().top - anchorTop;
    return true;
  }
  function refreshRows(ids) {
    if (!ids.length) return Promise.resolve();
    const qs = new URLSearchParams(filtersQs());
    qs.set("ids", ids.join(","));
    return fetch(`${base}rows/?${qs.toString()}`, { credentials: "same-origin" })
      .then((r) => r.text())
      .then((html) => {
        const rows = parseRows(html);
        const got = new Set(rows.map((r) => r.dataset.id));
        ids.forEach((id) => {
          if (!got.has(String(id))) {
            const gone = document.getElementById(`conv-${id}`);
            if (gone && Number(id) !== openId) gone.remove();
          }
        });
        let hidden = 0;
        const fresh = rows
          .filter((row) => {
            const before = document.getElementById(row.id);
            const moved = !before || before.dataset.sort !== row.dataset.sort;
            return moved && row.classList.contains("unread") && Number(row.dataset.id) !== openId;
          })
          .map((row) => (row.querySelector(".conv-name") || row).textContent.trim());
        if (fresh.length) announce(root.dataset.announceRow, { names: fresh.slice(0, 3).join(", ") });
        rows.forEach((row) => {
          const wasThere = !!document.getElementById(row.id);
          placeRow(row);
          if (!wasThere && !atTop()) hidden += 1;
          if (window.htmx) htmx.process(row);
        });
        if (hidden && newActivity) newActivity.hidden = false;
        markActive();
        if (rows.length) sendWatch();
      });
  }
  function refreshThread() {
    if (!openId) return Promise.resolve();
    const messages = document.getElementById("messages");
    if (!messages) return Promise.resolve();
    return fetch(`${base}c/${openId}/changes/?since=${encodeURIComponent(since)}`, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : ""))
      .then((html) => {
        const tpl = document.createElement("template");
        tpl.innerHTML = html;
        const scroller = document.getElementById("thread-scroll");
        const nearEnd = scroller && scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
        tpl.content.querySelectorAll("li.msg").forEach((msg) => {
          const existing = document.getElementById(msg.id);
          if (existing) existing.replaceWith(msg);
          else {
            messages.append(msg);
            if (msg.classList.contains("msg-in") && msg.classList.contains("msg-message")) {
              const author = msg.querySelector(".author");
              const text = msg.querySelector(".msg-text");
              announce(
                root.dataset.announceMessage,
                { name: author ? author.textContent.trim() : "" },
                text ? text.textContent.trim().slice(0, 200) : "",
              );
            }
          }
          htmx.process(msg);
        });
        if (nearEnd) scrollThreadToEnd();
      });
  }
  function refreshThreadHead() {
    if (!openId) return;
    const head = document.getElementById("thread-head");
    if (!head) return;
    fetch(`${base}c/${openId}/?part=head`, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then((r) => (r.ok ? r.text() : ""))
      .then((html) => {
        if (!html) return;
        const tpl = document.createElement("template");
        tpl.innerHTML = html;
        const fresh = tpl.content.querySelector("#thread-head");
        const current = document.getElementById("thread-head");
        if (fresh && current) {
          // Keep what the agent's last action reported (a macro's run, an error) in view.
          if (!fresh.querySelector(".thread-notice, .thread-error")) {
            current.querySelectorAll(".thread-notice, .thread-error").forEach((p) => fresh.appendChild(p));
          }
          // A live update must not close the actions menu under the agent's finger.
          if (current.classList.contains("menu-open")) {
            fresh.classList.add("menu-open");
            const toggle = fresh.querySelector("[data-menu-toggle]");
            if (toggle) toggle.setAttribute("aria-expanded", "true");
          }
          current.replaceWith(fresh);
          htmx.process(fresh);
        }
      });
  }
  let catching = null;
  let again = false;
  function catchUp() {
    if (catching) { again = true; return catching; }
    const openParam = openId ? `&open=${openId}` : "";
    catching = fetch(`${base}changes/?since=${encodeURIComponent(since)}${openParam}`, { credentials: "same-origin" })
      .then((r) => r.json())
      .then((data) => {
        const ids = data.conversation_ids || [];
        const work = [refreshRows(ids.map(String))];
        if (openId && ids.includes(openId)) { work.push(refreshThread()); refreshThreadHead(); }
        else if (data.thread_changed) work.push(refreshThread());
        return Promise.all(work).then(() => {
          since = data.now;
          if (ids.length) {
            htmx.trigger(document.body, "inbox:refresh-counts");
            if (document.hidden) {
              unseen += 1;
              document.title = `(${unseen}) ${originalTitle}`;
              chime();
            }
          }
        });
      })
      .catch(() => {})
      .finally(() => {
        catching = null;
        if (again) { again = false; catchUp(); }
      });
    return catching;
  }
  // Optional chime for new activity in a background tab; the choice is kept in this browser.
  const SOUND_KEY = "parley.sound";
  const soundToggle = document.getElementById("sound-toggle");
  if (soundToggle) {
    soundToggle.checked = localStorage.getItem(SOUND_KEY) === "on";
    soundToggle.addEventListener("change", () => {
      localStorage.setItem(SOUND_KEY, soundToggle.checked ? "on" : "off");
    });
  }
  function chime() {
    if (localStorage.getItem(SOUND_KEY) !== "on" || !window.AudioContext) return;
    try {
      const ctx = new AudioContext();
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, ctx.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.4);
      osc.connect(gain).connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.4);
      osc.onended = () => ctx.close();
      document.body.dataset.chimes = String(Number(document.body.dataset.chimes || 0) + 1);
    } catch (e) { /* audio unavailable: the title badge still shows */ }
  }
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) { unseen = 0; document.title = originalTitle; catchUp(); }
  });
  let hintTimer = null;
  function onHint() { clearTimeout(hintTimer); hintTimer = setTimeout(catchUp, 100); }

  let socket = null;
  let retry = 0;
  function sendWatch() {
    // Tell the server which conversations this page shows (so it hears when one leaves
    // the agent's view in "agents see only their own" mode).
    if (!socket || socket.readyState !== 1) return;
    const ids = Array.from(list.querySelectorAll("li.conv-row")).slice(0, 500).map((r) => Number(r.dataset.id));
    socket.send(JSON.stringify({ type: "watch", ids }));
  }
  document.body.addEventListener("htmx:afterSettle", (event) => {
    if (event.detail.target && event.detail.target.classList && event.detail.target.classList.contains("list-more")) sendWatch();
  });
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/t/${slug}/inbox/`);
    socket.addEventListener("open", () => {
      retry = 0;
      root.dataset.live = "on";
      sendWatch();
      catchUp(); // whatever happened while we were away
    });
    socket.addEventListener("message", (event) => {
      let data = {};
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (data.event && data.event !== "hello" && data.event !== "pong") onHint(data);
    });
    socket.addEventListener("close", () => {
      root.dataset.live = "off";
      retry += 1;
      setTimeout(connect, Math.min(30000, 500 * 2 ** Math.min(retry, 6)));
    });
  }
  connect();
  setInterval(() => { if (socket && socket.readyState === 1) socket.send(JSON.stringify({ type: "ping" })); }, 25000);
  setInterval(catchUp, 60000); // a safety net if hints are lost
  window.addEventListener("online", catchUp);

  // first paint
  if (openId) { setupComposer(); scrollThreadToEnd(); updateWindow(); markActive(); }
})();
