// The API reference, rendered from the served OpenAPI document: every operation of the API and of
// the control plane (/_emulator/*), with parameters, request schema, responses and a "Try it" link.
import { h, clear } from "./dom.js";
import { spec, operations, resolve } from "./spec.js";

function typeOf(schema) {
  if (schema.$ref) return schema.$ref.split("/").pop();
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type;
  if (type === "array" || schema.items) return `array of ${typeOf(schema.items || {})}`;
  for (const key of ["oneOf", "anyOf"]) if (schema[key]) return schema[key].map(typeOf).join(" | ");
  return type || "any";
}

function schemaTree(schema, depth = 0) {
  const target = resolve(schema);
  const props = Object.entries(target.properties || {});
  const item = target.items ? resolve(target.items) : null;
  if (!props.length && item?.properties && depth < 3) return schemaTree(target.items, depth + 1);
  if (!props.length) return null;
  const required = new Set(target.required || []);
  return h("ul", { class: "schema" }, props.map(([name, sub]) => {
    const resolved = resolve(sub);
    const nested = depth < 3 && (resolved.properties || resolve(resolved.items || {}).properties) ? schemaTree(sub, depth + 1) : null;
    return h("li", {}, h("code", { text: name }), h("span", { class: "muted", text: ` ${typeOf(sub)}${required.has(name) ? " · required" : ""}` }),
      resolved.description ? h("span", { text: ` — ${resolved.description}` }) : null, nested);
  }));
}

function operation({ method, path, op }) {
  const scopes = (op.security || []).flatMap((s) => Object.values(s).flat()).filter(Boolean);
  const params = op.parameters || [];
  const body = op.requestBody?.content?.["application/json"]?.schema;
  const id = `op-${method}-${path}`.replace(/[^a-zA-Z0-9-]/g, "-");
  return h("article", { class: "op", id, "data-op": `${method} ${path}` },
    h("h3", {}, h("span", { class: `verb verb-${method.toLowerCase()}`, text: method }), " ", h("code", { text: path }),
      op["x-inferred"] ? h("span", { class: "tag warn", title: "not in Cuadra's reference; inferred", text: "inferred" }) : null),
    h("p", {}, op.summary || "", " ", h("a", { href: `#tryit?op=${encodeURIComponent(`${method} ${path}`)}` }, "Try it")),
    op["x-emulator-control"] ? h("p", { class: "muted", text: "Control plane: no API token; the admin token when the emulator has one." })
      : h("p", { class: "muted", text: (op.security || []).length ? `Bearer token${scopes.length ? `, scope ${[...new Set(scopes)].join(" or ")}` : ""}` : "No authentication." }),
    params.length ? h("table", { class: "list" }, h("thead", {}, h("tr", {}, h("th", { text: "Parameter" }), h("th", { text: "In" }), h("th", { text: "Type" }), h("th", { text: "Description" }))),
      h("tbody", {}, params.map((p) => h("tr", {}, h("td", {}, h("code", { text: p.name })), h("td", { text: p.in + (p.required ? ", required" : "") }), h("td", { text: typeOf(p.schema || {}) }), h("td", { text: p.description || "" }))))) : null,
    body ? h("details", {}, h("summary", { text: `Request body: ${typeOf(body)}${op.requestBody.required ? "" : " (optional)"}` }), schemaTree(body) || h("p", { class: "muted", text: "any JSON" })) : null,
    h("p", { class: "muted" }, "Responses: ", Object.entries(op.responses || {}).map(([status, r]) => `${status} ${r.description}`).join(" · ")));
}

export function startReference(panel) {
  const doc = spec();
  const filter = h("input", { id: "reference-filter", type: "search", placeholder: "filter: path, method or words", size: "30", "aria-label": "Filter operations" });
  const body = h("div", { id: "reference-body" });
  const groups = new Map();
  for (const item of operations()) {
    const tag = item.op.tags?.[0] || "Other";
    if (!groups.has(tag)) groups.set(tag, []);
    groups.get(tag).push(item);
  }
  const nav = h("nav", { class: "toc", "aria-label": "Sections" }, [...groups.keys()].map((tag) => h("a", { href: `#reference`, "data-tag": tag, onclick: (event) => {
    event.preventDefault();
    document.getElementById(`tag-${tag.replace(/\W+/g, "-")}`)?.scrollIntoView();
  } }, tag)));
  function render() {
    const needle = filter.value.trim().toLowerCase();
    clear(body, [...groups.entries()].map(([tag, items]) => {
      const shown = items.filter((i) => !needle || `${i.method} ${i.path} ${i.op.summary || ""}`.toLowerCase().includes(needle));
      if (!shown.length) return null;
      return h("section", { id: `tag-${tag.replace(/\W+/g, "-")}`, "aria-label": tag }, h("h2", { text: tag }), shown.map(operation));
    }));
  }
  filter.addEventListener("input", render);
  clear(panel,
    h("div", { class: "row" }, h("h2", { text: `${doc?.info?.title || "API"} ${doc?.info?.version || ""}` }), filter,
      h("a", { href: "/_emulator/openapi.json" }, "openapi.json")),
    h("p", { class: "muted", text: doc?.info?.description || "" }),
    h("div", { class: "reference" }, nav, body));
  render();
}
