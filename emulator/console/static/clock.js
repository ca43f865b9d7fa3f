// The clock: the emulator's current (virtual) time; advance by a preset or a custom duration; set it.
import { control } from "./api.js";
import { h, clear } from "./dom.js";
import { hasControl } from "./spec.js";

const PRESETS = [["+1 s", 1], ["+10 s", 10], ["+1 min", 60], ["+5 min", 300], ["+1 h", 3600], ["+1 day", 86400]];
const UNITS = { ms: 0.001, s: 1, m: 60, min: 60, h: 3600, d: 86400 };

/** "90", "90s", "1.5h", "2d", "1h30m" -> seconds (null when it is not a duration). */
export function parseDuration(text) {
  const value = text.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)\s*(ms|min|s|m|h|d)/g)];
  if (!parts.length || parts.map((p) => p[0]).join("").replace(/\s/g, "") !== value.replace(/\s/g, "")) return null;
  return parts.reduce((total, p) => total + Number(p[1]) * UNITS[p[2]], 0);
}

export function startClock(panel) {
  const now = h("p", { id: "clock-now", class: "big", "aria-live": "polite" });
  const mode = h("p", { id: "clock-mode", class: "muted" });
  const message = h("p", { id: "clock-message", "aria-live": "polite" });
  const custom = h("input", { id: "clock-custom", placeholder: "90s, 5m, 1h30m, 2d", size: "16" });
  const setTo = h("input", { id: "clock-set", placeholder: "2025-01-01T12:00:00Z", size: "24" });
  const org = h("input", { id: "clock-org", placeholder: "server clock", size: "16", list: "journal-tenants", "aria-label": "Tenant (empty: the server clock)" });
  const perTenant = hasControl("POST", "/_emulator/tenants");  // tenant clocks came with tenants
  const tenant = () => (perTenant && org.value.trim()) || undefined;
  let ticking = null;

  function show(data) {
    clearInterval(ticking);
    now.dataset.epoch = data.epoch;
    now.textContent = data.now;
    const offset = data.org ? ` Tenant ${data.org}: server clock ${data.offset >= 0 ? "+" : ""}${data.offset} s.` : "";
    mode.textContent = (data.mode === "manual"
      ? "Manual clock: time moves only when you move it (tokens, rate-limit windows, file processing and stream pauses follow it)."
      : "System clock: the emulator runs on real time. Start it with --clock manual to move time from here (a tenant's clock moves on either).") + offset;
    for (const button of panel.querySelectorAll("button")) button.disabled = data.mode !== "manual" && !data.org;
    if (data.mode !== "manual") {
      const started = Date.now();
      ticking = setInterval(() => { now.textContent = new Date(data.epoch * 1000 + Date.now() - started).toISOString().replace(/\.\d+Z$/, "Z"); }, 1000);
    }
  }

  async function move(body) {
    const result = await control("POST", "/_emulator/clock", tenant() ? { ...body, org: tenant() } : body);
    if (result.ok) {
      show(result.data);
      message.className = "ok";
      message.textContent = "advance" in body ? `Advanced ${body.advance} s.` : `Set to ${result.data.now}.`;
    } else {
      message.className = "error";
      message.textContent = result.data?.detail || `HTTP ${result.status}`;
    }
  }

  async function refresh() {
    const { data } = await control("GET", `/_emulator/clock${tenant() ? `?org=${encodeURIComponent(tenant())}` : ""}`);
    if (data) show(data);
  }

  clear(panel,
    h("h2", { text: "Clock" }),
    perTenant ? h("div", { class: "row" }, h("label", { for: "clock-org" }, "Tenant "), org, h("span", { class: "muted", text: "(empty: the server clock, every tenant)" })) : null,
    now, mode,
    h("div", { class: "row", role: "group", "aria-label": "Advance presets" }, PRESETS.map(([label, seconds]) => h("button", { type: "button", "data-advance": seconds, onclick: () => move({ advance: seconds }) }, label))),
    h("form", { class: "row", id: "clock-advance-form", onsubmit: (event) => {
      event.preventDefault();
      const seconds = parseDuration(custom.value);
      if (seconds === null) { message.className = "error"; message.textContent = `Not a duration: ${custom.value}`; return; }
      move({ advance: seconds });
    } }, h("label", { for: "clock-custom" }, "Advance by "), custom, h("button", { type: "submit" }, "Advance")),
    h("form", { class: "row", id: "clock-set-form", onsubmit: (event) => { event.preventDefault(); move({ set: setTo.value.trim() }); } },
      h("label", { for: "clock-set" }, "Set to (ISO 8601) "), setTo, h("button", { type: "submit" }, "Set")),
    message);
  org.addEventListener("change", refresh);
  panel.addEventListener("console-show", refresh);
  refresh();
}
