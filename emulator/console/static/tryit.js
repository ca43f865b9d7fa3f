// Try it: any operation of /openapi.json as a form prefilled with a valid example, sent with the
// token you pick; and one-click error-path presets for it (see presets.js).
import { control, send } from "./api.js";
import { h, clear } from "./dom.js";
import { operations, example } from "./spec.js";
import { presetsFor } from "./presets.js";
import { renderAnswer } from "./result.js";
import { minted } from "./tokens.js";

// Values a schema cannot give: a model that exists (the bundled catalog's first model; edit the body
// when the emulator runs on other fixtures).
const EXAMPLES = {
  "POST /v1/chats": { modelId: "0b6c7a52-5d4e-4c1f-9a57-2f4b8e1d6a01", messages: [{ role: "user", content: "Hello!" }], stream: false },
};

export function startTryit(panel) {
  const ops = operations();
  const select = h("select", { id: "tryit-op", "aria-label": "Operation" });
  const tags = new Map();
  ops.forEach((op, i) => {
    const tag = op.op.tags?.[0] || "Other";
    if (!tags.has(tag)) tags.set(tag, h("optgroup", { label: tag }));
    tags.get(tag).append(h("option", { value: String(i) }, `${op.method} ${op.path}${op.op.summary ? ` — ${op.op.summary}` : ""}`));
  });
  select.append(...tags.values());
  const token = h("select", { id: "tryit-token", "aria-label": "Token" });
  const form = h("form", { id: "tryit-form" });
  const presetBox = h("ul", { id: "tryit-presets", class: "presets-list" });
  const output = h("div", { id: "tryit-result", class: "result", "aria-live": "polite" });
  const fixtureTokens = new Map();

  async function fillTokens() {
    const { data } = await control("GET", "/_emulator/tokens");
    const current = token.value || "test-token";
    for (const t of data?.items || []) fixtureTokens.set(t.token, t.org);
    clear(token,
      h("option", { value: "" }, "(no token)"),
      (data?.items || []).map((t) => h("option", { value: t.token }, `${t.token} (${t.user} @ ${t.org})`)),
      minted.map((m) => h("option", { value: m.token }, m.label)));
    token.value = [...token.options].some((o) => o.value === current) ? current : "test-token";
  }

  function current() { return ops[Number(select.value)] || ops[0]; }

  function buildForm() {
    const op = current();
    const params = op.op.parameters || [];
    const fields = params.map((p) =>
      h("label", {}, `${p.name} `, h("input", { name: `${p.in}:${p.name}`, placeholder: p.in === "path" ? "id" : p.in, size: "22" })));
    const bodySchema = op.op.requestBody?.content?.["application/json"]?.schema;
    const body = bodySchema ? h("textarea", { name: "body", id: "tryit-body", rows: "8", class: "mono", "aria-label": "Request body (JSON)" }) : null;
    if (body) body.value = JSON.stringify(EXAMPLES[`${op.method} ${op.path}`] || example(bodySchema), null, 2);
    clear(form,
      h("div", { class: "row" }, fields),
      body,
      h("div", { class: "row" }, h("button", { type: "submit", class: "primary", id: "tryit-send" }, `Send ${op.method} ${op.path}`)));
    clear(presetBox, presetsFor(op, (t) => fixtureTokens.get(t)).map((preset) => {
      const outcome = h("span", { class: "outcome", "aria-live": "polite" });
      return h("li", { "data-preset": preset.id },
        h("button", { type: "button", onclick: async () => {
          outcome.className = "outcome muted";
          outcome.textContent = "…";
          const { answer, note, ok } = await preset.run(request());
          const passed = answer && answer.status === preset.expect && ok !== false;
          outcome.className = `outcome ${passed ? "ok" : "error"}`;
          outcome.dataset.status = answer ? answer.status : "";
          outcome.textContent = ` ${answer ? answer.status : "—"} ${passed ? "✓" : `✗ (expected ${preset.expect})`} ${note || ""}`;
          if (answer) clear(output, renderAnswer(answer));
        } }, preset.label), outcome);
    }));
    clear(output);
  }

  function request() {
    const op = current();
    const data = new FormData(form);
    const pathWith = (fallback) => op.path.replace(/\{([^}]+)\}/g, (_, name) => encodeURIComponent(fallback ?? (String(data.get(`path:${name}`) || "").trim() || "missing")));
    const query = new URLSearchParams();
    const headers = {};
    for (const [key, value] of data.entries()) {
      if (!value || key === "body") continue;
      if (key.startsWith("query:")) query.append(key.slice(6), value);
      if (key.startsWith("header:")) headers[key.slice(7)] = value;
    }
    const qs = query.toString() ? `?${query}` : "";
    return {
      method: op.method,
      path: pathWith(null) + qs,
      pathWith: (id) => pathWith(id) + qs,
      token: token.value || null,
      headers,
      body: data.get("body") ?? undefined,
    };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await send(request());
    clear(output, renderAnswer(answer));
  });
  select.addEventListener("change", buildForm);
  document.addEventListener("tokens-changed", fillTokens);
  clear(panel,
    h("div", { class: "row" }, h("label", { for: "tryit-op" }, "Operation "), select, h("label", { for: "tryit-token" }, "Token "), token),
    h("div", { class: "grid2" },
      h("div", {}, form, h("h3", { text: "Error-path presets" }), presetBox),
      h("div", {}, h("h3", { text: "Answer" }), output)));
  function fromHash() {  // #tryit?op=POST%20/v1/datasets opens that operation
    const wanted = new URLSearchParams(location.hash.split("?")[1] || "").get("op");
    const index = ops.findIndex((o) => `${o.method} ${o.path}` === wanted);
    if (index >= 0 && String(index) !== select.value) { select.value = String(index); buildForm(); }
  }
  panel.addEventListener("console-show", fromHash);
  select.value = String(Math.max(0, ops.findIndex((o) => o.path === "/v1/chats" && o.method === "POST")));
  fillTokens().then(() => { buildForm(); fromHash(); });
}
