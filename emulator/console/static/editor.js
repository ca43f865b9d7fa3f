// A plain textarea with a line-number gutter; errors from /_emulator/scenarios/validate are marked
// on their line and spelled out below, the way `cuadra-emulator validate` prints them.
import { control } from "./api.js";
import { h, clear } from "./dom.js";

export function yamlEditor(initial) {
  const gutter = h("pre", { class: "gutter", "aria-hidden": "true" });
  const area = h("textarea", { id: "yaml-editor", spellcheck: "false", "aria-label": "Scenario YAML", "aria-describedby": "yaml-status" });
  const status = h("p", { id: "yaml-status", "aria-live": "polite" });
  const element = h("div", {}, h("div", { class: "editor" }, gutter, area), status);
  let errorLine = null;
  let timer = null;
  let last = Promise.resolve({ valid: true });

  function paint() {
    const lines = area.value.split("\n").length;
    clear(gutter, Array.from({ length: lines }, (_, i) => h("span", { "data-line": i + 1, class: i + 1 === errorLine ? "error-line" : null, text: i + 1 })));
    gutter.scrollTop = area.scrollTop;
  }

  async function validate() {
    const text = area.value;
    const result = await control("POST", "/_emulator/scenarios/validate?filename=editor.yaml", text, "application/yaml");
    if (text !== area.value) return { valid: false, stale: true };  // typed meanwhile: a newer check is on its way
    const data = result.data || { valid: false, errors: [{ message: result.text }] };
    if (data.valid) {
      errorLine = null;
      status.className = "ok";
      status.textContent = `Valid: scenario '${data.scenario.name}', ${data.scenario.rules} rule(s).`;
    } else {
      const error = data.errors[0];
      errorLine = error.line ?? null;
      status.className = "error";
      status.textContent = error.message;
      area.setAttribute("aria-invalid", "true");
    }
    if (data.valid) area.removeAttribute("aria-invalid");
    status.dataset.line = errorLine ?? "";
    paint();
    return data;
  }

  area.addEventListener("input", () => {
    paint();
    clearTimeout(timer);
    timer = setTimeout(() => { last = validate(); }, 200);
  });
  area.addEventListener("scroll", () => { gutter.scrollTop = area.scrollTop; });
  area.value = initial;
  paint();
  last = validate();
  return {
    element,
    value: () => area.value,
    set: (text) => { area.value = text; paint(); last = validate(); },
    focus: () => area.focus(),
    validate: () => { clearTimeout(timer); last = validate(); return last; },
  };
}
