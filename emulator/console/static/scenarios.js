// Scenarios: the ready-made ones, the active ones with their per-tenant counters, activation for
// everyone or one tenant, and a YAML editor checked as you type by the CLI's validator.
import { control } from "./api.js";
import { $, h, clear } from "./dom.js";
import { yamlEditor } from "./editor.js";

const STARTER = `name: my-scenario
description: The second chat of each tenant gets a 503.
rules:
  - name: second-chat-fails
    match: {method: POST, path: /v1/chats}
    when: {calls: [2]}
    error: {status: 503}
`;

export function startScenarios(panel) {
  const scope = h("input", { id: "scenario-org", placeholder: "everyone", size: "16", list: "journal-tenants", "aria-label": "Tenant (empty = everyone)" });
  const notice = h("p", { id: "scenario-notice", class: "muted", "aria-live": "polite" });
  const activeBox = h("div", { id: "scenarios-active" });
  const readyBox = h("div", { id: "scenarios-ready", class: "cards" });
  const editor = yamlEditor(STARTER);
  const save = h("button", { type: "button", class: "primary", id: "yaml-save" }, "Save and activate");
  clear(panel,
    h("div", { class: "row" }, h("label", { for: "scenario-org" }, "Activate for tenant "), scope, h("span", { class: "muted", text: "(empty: every tenant)" }), notice),
    h("div", { class: "grid2" },
      h("div", {}, h("h2", { text: "Active" }), activeBox, h("h2", { text: "Ready-made" }), readyBox),
      h("div", {}, h("h2", { text: "Write a scenario" }), editor.element, h("div", { class: "row" }, save), h("p", { class: "muted", text: "Checked as you type by the same validator as `cuadra-emulator validate`. See docs/scenarios.md for every key." }))));

  const org = () => scope.value.trim() || undefined;
  const say = (text, kind = "muted") => { notice.className = kind; notice.textContent = text; };

  async function activate(body) {
    const result = await control("POST", "/_emulator/scenarios", { ...body, ...(org() ? { org: org() } : {}) });
    if (result.status === 201) say(`Active: ${result.data.name}${result.data.org ? ` for ${result.data.org}` : " for every tenant"}`, "ok");
    else say(result.data?.detail || `HTTP ${result.status}`, "error");
    await refresh();
    return result;
  }

  function activeCard(entry) {
    const tenants = Object.entries(entry.organizations || {});
    return h("div", { class: "card", "data-active": entry.name },
      h("h3", {}, entry.name, h("span", { class: "muted", text: ` · ${entry.org ? `tenant ${entry.org}` : "every tenant"} · ${entry.origin}` })),
      h("p", { text: entry.description }),
      tenants.length
        ? h("table", { class: "kv" }, h("thead", {}, h("tr", {}, h("th", { text: "Tenant" }), h("th", { text: "State" }), h("th", { text: "Calls per rule" }))),
          h("tbody", {}, tenants.map(([tenant, info]) => h("tr", {}, h("td", { text: tenant }), h("td", { text: info.state }),
            h("td", { text: Object.entries(info.calls).map(([rule, n]) => `${rule}: ${n}`).join(", ") })))))
        : h("p", { class: "muted", text: "No matching call yet." }),
      h("button", { type: "button", onclick: async () => {
        const query = entry.org ? `?org=${encodeURIComponent(entry.org)}` : "";
        await control("DELETE", `/_emulator/scenarios/${encodeURIComponent(entry.name)}${query}`);
        say(`Deactivated ${entry.name}`);
        refresh();
      } }, `Deactivate ${entry.name}`));
  }

  function readyCard(item) {
    if (item.error) return h("div", { class: "card" }, h("h3", { text: item.name }), h("p", { class: "error", text: item.error }));
    return h("div", { class: "card", "data-scenario": item.name },
      h("h3", { text: item.name }),
      h("p", { text: item.description }),
      h("p", { class: "muted", text: `${item.rules} rule${item.rules === 1 ? "" : "s"}` }),
      h("div", { class: "row" },
        h("button", { type: "button", class: "primary", "data-activate": item.name, onclick: () => activate({ name: item.name }) }, `Activate ${item.name}`),
        h("button", { type: "button", onclick: async () => {
          const source = await control("GET", `/_emulator/scenarios/${encodeURIComponent(item.name)}/source`);
          editor.set(source.text);
          editor.focus();
        } }, "Edit a copy")));
  }

  async function refresh() {
    const { data } = await control("GET", "/_emulator/scenarios");
    if (!data) return;
    clear(activeBox, data.active.length ? data.active.map(activeCard) : h("p", { class: "muted", text: "None: the API answers normally." }));
    clear(readyBox, data.available.map(readyCard));
  }

  save.addEventListener("click", async () => {
    const check = await editor.validate();
    if (!check.valid) { say("Fix the error shown in the editor first.", "error"); return; }
    await activate({ yaml: editor.value() });
  });
  let pending = null;
  document.addEventListener("journal-rows", () => {  // counters move with the traffic
    if (panel.hidden || pending) return;
    pending = setTimeout(() => { pending = null; refresh(); }, 300);
  });
  panel.addEventListener("console-show", refresh);
  refresh();
}
