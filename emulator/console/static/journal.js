// The live journal: rows pushed by the server (SSE over fetch), filtered in the page; a row opens
// the full request and response (see detail.js).
import { events, control } from "./api.js";
import { $, h, clear, statusClass, isoTime } from "./dom.js";
import { showDetail } from "./detail.js";

const MAX_ROWS = 1000;

export function startJournal(panel) {
  const rows = [];          // newest last
  const tenants = new Set();
  let paused = false;
  let missed = 0;
  const body = $("#journal-rows", panel);
  const form = $("#journal-filters", panel);
  const status = $("#journal-status", panel);

  function filters() {
    const data = new FormData(form);
    return {
      method: data.get("method"),
      path: String(data.get("path") || "").trim(),
      status: String(data.get("status") || "").trim().toLowerCase(),
      tenant: String(data.get("tenant") || "").trim(),
    };
  }

  function keep(row, f) {
    if (f.method && row.method !== f.method) return false;
    if (f.path && !row.path.includes(f.path)) return false;
    if (f.tenant && row.orgId !== f.tenant) return false;
    if (f.status) {
      const s = String(row.status ?? "");
      if (/^\dxx$/.test(f.status) ? s[0] !== f.status[0] : s !== f.status) return false;
    }
    return true;
  }

  function rowElement(row) {
    const notes = [];
    if (row.replayed) notes.push(h("span", { class: "tag replay", title: "Idempotent-Replayed: true" }, "replay"));
    if (row.rateLimitRemaining !== undefined) notes.push(h("span", { class: "tag", title: "X-RateLimit-Remaining" }, `left ${row.rateLimitRemaining}`));
    if (row.retryAfter !== undefined) notes.push(h("span", { class: "tag warn", title: "Retry-After" }, `retry ${row.retryAfter}s`));
    if (row.streamed) notes.push(h("span", { class: "tag" }, "stream"));
    for (const w of row.warnings || []) notes.push(h("span", { class: "tag warn", title: typeof w === "string" ? w : JSON.stringify(w) }, "warning"));
    const tr = h("tr", { tabindex: "0", "data-seq": row.seq, "aria-label": `${row.method} ${row.path} ${row.status}` },
      h("td", { text: row.seq }),
      h("td", { text: isoTime(row.time).slice(11) }),
      h("td", { class: "method", text: row.method }),
      h("td", { class: "path", text: row.path + (row.query ? `?${row.query}` : "") }),
      h("td", { class: `status ${statusClass(row.status)}`, text: row.status === 0 ? "fault" : row.status }),
      h("td", { class: "num", text: row.durationMs ?? "" }),
      h("td", { class: "tenant", text: row.orgId || "" }),
      h("td", { class: "rule", text: row.rule || "" }),
      h("td", {}, notes));
    const open = () => {
      for (const other of body.querySelectorAll("tr.selected")) other.classList.remove("selected");
      tr.classList.add("selected");
      showDetail($("#journal-detail", panel), row.seq);
    };
    tr.addEventListener("click", open);
    tr.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); open(); }
      if (event.key === "ArrowDown" && tr.nextElementSibling) { event.preventDefault(); tr.nextElementSibling.focus(); }
      if (event.key === "ArrowUp" && tr.previousElementSibling) { event.preventDefault(); tr.previousElementSibling.focus(); }
    });
    return tr;
  }

  function render() {
    const f = filters();
    const shown = [];
    for (let i = rows.length - 1; i >= 0 && shown.length < 300; i--) if (keep(rows[i], f)) shown.push(rowElement(rows[i]));
    clear(body, shown);
    const tail = missed ? ` · ${missed} not shown (the browser fell behind)` : "";
    status.textContent = `${rows.length} requests${paused ? " · paused" : ""}${tail}`;
    clear($("#journal-tenants"), [...tenants].sort().map((t) => h("option", { value: t })));
  }

  let scheduled = false;
  function schedule() {
    if (scheduled || paused) return;
    scheduled = true;
    requestAnimationFrame(() => { scheduled = false; render(); });
  }

  function add(batch) {
    for (const row of batch.rows) {
      rows.push(row);
      if (row.orgId) tenants.add(row.orgId);
    }
    if (rows.length > MAX_ROWS) rows.splice(0, rows.length - MAX_ROWS);
    missed += batch.dropped || 0;
    schedule();
    document.dispatchEvent(new CustomEvent("journal-rows", { detail: batch }));
  }

  async function listen() {
    for (let delay = 500; ; delay = Math.min(delay * 2, 8000)) {
      try {
        for await (const message of events("/_emulator/requests/stream")) {
          delay = 500;
          if (message.event !== "rows") continue;
          if (message.data.backlog) rows.length = 0;
          add(message.data);
          panel.dataset.live = "true";
        }
      } catch (error) {
        status.textContent = `journal stream lost (${error.message}); reconnecting…`;
      }
      panel.dataset.live = "false";
      await new Promise((resolve) => setTimeout(resolve, delay));  // reconnect after a failure, not a poll
    }
  }

  form.addEventListener("input", render);
  form.addEventListener("submit", (event) => event.preventDefault());
  $("#journal-pause", panel).addEventListener("click", (event) => {
    paused = !paused;
    event.target.setAttribute("aria-pressed", String(paused));
    event.target.textContent = paused ? "Resume" : "Pause";
    render();
  });
  $("#journal-clear", panel).addEventListener("click", async () => {
    await control("DELETE", "/_emulator/requests");
    rows.length = 0;
    missed = 0;
    render();
  });
  listen();
}
