// State: one tenant's chats, models, datasets, files (and whatever else it has) and its usage, as tables.
import { control } from "./api.js";
import { h, clear } from "./dom.js";

const PREFERRED = ["id", "name", "displayName", "title", "status", "processingStatus", "filename", "modelId", "createdAt", "updatedAt"];
const MAX_COLUMNS = 6;

function columns(rows) {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const chosen = PREFERRED.filter((k) => keys.includes(k));
  for (const key of keys) if (chosen.length < MAX_COLUMNS && !chosen.includes(key)) chosen.push(key);
  return chosen.slice(0, MAX_COLUMNS);
}

function table(kind, { total, rows }) {
  const cols = columns(rows);
  return h("section", { class: "state-table", "data-kind": kind },
    h("h3", { text: `${kind} (${total}${total > rows.length ? `, first ${rows.length} shown` : ""})` }),
    rows.length
      ? h("div", { class: "table-wrap short" }, h("table", { class: "list" },
        h("thead", {}, h("tr", {}, cols.map((c) => h("th", { text: c })))),
        h("tbody", {}, rows.map((r) => h("tr", {}, cols.map((c) => h("td", { text: r[c] === undefined || r[c] === null ? "" : String(r[c]) })))))))
      : h("p", { class: "muted", text: "none" }));
}

export function startState(panel) {
  const tenant = h("select", { id: "state-org", "aria-label": "Tenant" });
  const body = h("div", { id: "state-body" });
  async function load() {
    const query = tenant.value ? `?org=${encodeURIComponent(tenant.value)}` : "";
    const { data, status } = await control("GET", `/_emulator/state${query}`);
    if (status !== 200) { clear(body, h("p", { class: "error", text: data?.detail || `HTTP ${status}` })); return; }
    clear(tenant, data.orgs.map((o) => h("option", { value: o, selected: o === data.org }, o)));
    clear(body,
      h("section", { class: "state-table", "data-kind": "usage" }, h("h3", { text: "usage" }),
        h("table", { class: "kv" }, h("tbody", {}, Object.entries(data.usage).map(([k, v]) => h("tr", {}, h("th", { text: k }), h("td", { text: String(v) })))))),
      Object.entries(data.tables).map(([kind, t]) => table(kind, t)));
  }
  tenant.addEventListener("change", load);
  clear(panel, h("div", { class: "row" }, h("label", { for: "state-org" }, "Tenant "), tenant, h("button", { type: "button", onclick: load }, "Refresh")), body);
  panel.addEventListener("console-show", load);
  load();
}
