// Tokens and tenants: the fixture tokens, minting a JWT, creating a tenant, resetting one or all.
import { control } from "./api.js";
import { h, clear, copyText } from "./dom.js";
import { hasControl, knownScopes } from "./spec.js";

export const minted = [];  // tokens minted in this page, offered by "Try it"

export function startTokens(panel) {
  const fixtures = h("tbody", { id: "fixture-tokens" });
  const result = h("div", { id: "mint-result", "aria-live": "polite" });
  const tenantResult = h("p", { id: "tenant-result", "aria-live": "polite" });
  const scopes = h("input", { id: "mint-scopes", value: "*", size: "40", "aria-describedby": "mint-scope-list" });
  const scopeList = h("p", { id: "mint-scope-list", class: "muted" });
  const user = h("input", { id: "mint-user", placeholder: "new user", size: "18" });
  const org = h("input", { id: "mint-org", placeholder: "new organisation", size: "18", list: "journal-tenants" });
  const ttl = h("input", { id: "mint-ttl", type: "number", min: "1", value: "3600", size: "8" });
  const tenantOrg = h("input", { id: "tenant-org", placeholder: "org id (empty: generated)", size: "22" });
  const resetOrg = h("input", { id: "reset-org", placeholder: "org id", size: "18", list: "journal-tenants" });

  async function mint(event) {
    event.preventDefault();
    const body = { scopes: scopes.value.split(/[\s,]+/).filter(Boolean), expiresIn: Number(ttl.value) || 3600 };
    if (user.value.trim()) body.user = user.value.trim();
    if (org.value.trim()) body.org = org.value.trim();
    const answer = await control("POST", "/_emulator/tokens", body);
    if (answer.status !== 201) { clear(result, h("p", { class: "error", text: answer.data?.detail || `HTTP ${answer.status}` })); return; }
    const t = answer.data;
    minted.unshift({ token: t.token, label: `minted: ${t.user} @ ${t.org} (${t.scopes.join(" ")})` });
    document.dispatchEvent(new CustomEvent("tokens-changed"));
    clear(result,
      h("p", {}, `Token for ${t.user} in ${t.org}, scopes ${t.scopes.join(" ") || "(none)"}, expires ${t.expiresAt}. `,
        h("button", { type: "button", id: "mint-copy", onclick: (e) => copyText(t.token, e.target) }, "Copy token")),
      h("pre", { id: "minted-token", class: "curl", text: t.token }));
  }

  async function createTenant(event) {
    event.preventDefault();
    const body = tenantOrg.value.trim() ? { org: tenantOrg.value.trim() } : {};
    let answer;
    if (hasControl("POST", "/_emulator/tenants")) answer = await control("POST", "/_emulator/tenants", body);
    else answer = await control("POST", "/_emulator/tokens", body);  // an organisation is created with its first token
    if (!answer.ok) { tenantResult.className = "error"; tenantResult.textContent = answer.data?.detail || `HTTP ${answer.status}`; return; }
    minted.unshift({ token: answer.data.token, label: `tenant ${answer.data.org}` });
    document.dispatchEvent(new CustomEvent("tokens-changed"));
    tenantResult.className = "ok";
    tenantResult.textContent = `Tenant ${answer.data.org} ready; its token is offered in "Try it".`;
  }

  async function reset(orgId) {
    const answer = await control("POST", "/_emulator/reset", orgId ? { org: orgId } : undefined);
    tenantResult.className = answer.ok ? "ok" : "error";
    tenantResult.textContent = answer.ok ? (orgId ? `Tenant ${orgId} is back to the fixtures.` : "Everything is back to the fixtures (store, clock, journal, scenarios).") : answer.data?.detail || `HTTP ${answer.status}`;
  }

  clear(panel,
    h("div", { class: "grid2" },
      h("div", {},
        h("h2", { text: "Fixture tokens" }),
        h("table", { class: "list" }, h("thead", {}, h("tr", {}, h("th", { text: "Token" }), h("th", { text: "User" }), h("th", { text: "Tenant" }), h("th", { text: "Scopes" }))), fixtures),
        h("h2", { text: "Tenants" }),
        h("form", { class: "row", id: "tenant-form", onsubmit: createTenant }, h("label", { for: "tenant-org" }, "New tenant "), tenantOrg, h("button", { type: "submit" }, "Create tenant")),
        h("form", { class: "row", id: "reset-form", onsubmit: (e) => { e.preventDefault(); reset(resetOrg.value.trim()); } },
          h("label", { for: "reset-org" }, "Reset tenant "), resetOrg, h("button", { type: "submit", id: "reset-one" }, "Reset tenant")),
        h("div", { class: "row" }, h("button", { type: "button", id: "reset-all", onclick: () => reset(null) }, "Reset everything")),
        tenantResult),
      h("div", {},
        h("h2", { text: "Mint a JWT" }),
        h("form", { id: "mint-form", onsubmit: mint },
          h("div", { class: "row" }, h("label", { for: "mint-scopes" }, "Scopes "), scopes), scopeList,
          h("div", { class: "row" }, h("label", { for: "mint-user" }, "User "), user, h("label", { for: "mint-org" }, "Organisation "), org),
          h("div", { class: "row" }, h("label", { for: "mint-ttl" }, "Expires in (s) "), ttl, h("button", { type: "submit", class: "primary" }, "Mint"))),
        result)));

  async function refresh() {
    const { data } = await control("GET", "/_emulator/tokens");
    clear(fixtures, (data?.items || []).map((t) => h("tr", {},
      h("td", {}, h("code", { text: t.token }), " ", h("button", { type: "button", onclick: (e) => copyText(t.token, e.target) }, "Copy")),
      h("td", { text: t.user }), h("td", { text: t.org }), h("td", {}, t.scopes.map((s) => h("span", { class: "tag", text: s }))))));
    const all = await knownScopes();
    scopeList.textContent = `Known scopes: * ${all.join(" ")}`;
    const resetOne = panel.querySelector("#reset-one");
    resetOne.disabled = !hasControl("POST", "/_emulator/tenants");
    resetOne.title = resetOne.disabled ? "this emulator resets only everything at once" : "";
  }
  panel.addEventListener("console-show", refresh);
  refresh();
}
