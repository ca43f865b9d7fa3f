// The console shell: tabs (hash-addressable, arrow keys move between them), the admin token form,
// and each panel's module started the first time it is shown. The journal listens from the start.
import { control, setAdminToken } from "./api.js";
import { startJournal } from "./journal.js";
import { startScenarios } from "./scenarios.js";
import { startClock } from "./clock.js";
import { startTokens } from "./tokens.js";
import { startTryit } from "./tryit.js";
import { startReference } from "./reference.js";
import { startState } from "./state.js";
import { loadSpec } from "./spec.js";

const panels = {
  scenarios: startScenarios,
  clock: startClock,
  tokens: startTokens,
  tryit: startTryit,
  reference: startReference,
  state: startState,
};
const started = new Set();

function show(name) {
  name = name.split("?")[0];
  if (!document.getElementById(name) || !document.getElementById(`tab-${name}`)) name = "journal";
  for (const tab of document.querySelectorAll("[role=tab]")) {
    const selected = tab.dataset.panel === name;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    document.getElementById(tab.dataset.panel).hidden = !selected;
  }
  const panel = document.getElementById(name);
  if (!started.has(name) && panels[name]) {
    started.add(name);
    panels[name](panel);
  } else {
    panel.dispatchEvent(new CustomEvent("console-show"));
  }
}

// Not location.hash = ...: a fragment navigation to the panel's id would take the focus off the tab.
function go(name) {
  history.pushState(null, "", `#${name}`);
  show(name);
}

function tabKeys(event) {
  const tabs = [...document.querySelectorAll("[role=tab]")];
  const at = tabs.indexOf(document.activeElement);
  if (at < 0) return;
  const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
  let next = step === undefined ? null : (at + step + tabs.length) % tabs.length;
  if (event.key === "Home") next = 0;
  if (event.key === "End") next = tabs.length - 1;
  if (next === null) return;
  event.preventDefault();
  tabs[next].focus();
  go(tabs[next].dataset.panel);
}

async function health() {
  const { data } = await control("GET", "/_emulator/health");
  if (data) document.getElementById("health").textContent = `seed ${data.seed} · clock ${data.clock} · auth ${data.auth}`;
}

window.addEventListener("hashchange", () => show(location.hash.slice(1)));
document.addEventListener("DOMContentLoaded", async () => {
  for (const tab of document.querySelectorAll("[role=tab]")) {
    tab.addEventListener("click", () => go(tab.dataset.panel));
  }
  document.querySelector("[role=tablist]").addEventListener("keydown", tabKeys);
  document.getElementById("admin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    setAdminToken(document.getElementById("admin-token").value);
  });
  startJournal(document.getElementById("journal"));
  health();
  await loadSpec().catch(() => null);
  document.body.dataset.ready = "true";
  show(location.hash.slice(1) || "journal");
});
