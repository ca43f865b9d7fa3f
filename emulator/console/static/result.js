// Rendering one API answer: status, the headers that matter for error paths, the body
// (problem+json highlighted) or a stream's events.
import { h, pretty, statusClass, headerTable } from "./dom.js";

const KEY_HEADERS = ["retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "idempotent-replayed", "www-authenticate", "location"];

export function keyHeaders(headers) {
  return KEY_HEADERS.filter((name) => headers[name] !== undefined).map((name) => `${name}: ${headers[name]}`).join(" · ");
}

export function frames(text) {
  return text.split("\n\n").filter((f) => f.trim());
}

export function renderAnswer(answer) {
  const type = answer.headers["content-type"] || "";
  const problem = type.includes("problem+json");
  let body;
  if (type.includes("text/event-stream")) {
    const list = frames(answer.text);
    body = h("div", {}, h("ol", { class: "event-list" }, list.map((f) => h("li", {}, h("code", { text: f })))),
      list.length && !list[list.length - 1].includes("[DONE]") ? h("p", { class: "cut", text: `⚡ ended without [DONE]${answer.note ? ` (${answer.note})` : ""}` }) : null);
  } else {
    body = answer.text ? h("pre", { class: problem ? "body problem" : "body", "data-kind": problem ? "problem" : "body" }, pretty(answer.text)) : h("p", { class: "muted", text: "(no body)" });
  }
  return h("div", { class: "answer", "data-status": answer.status },
    h("p", {}, h("span", { class: `status ${statusClass(answer.status)}`, text: `${answer.status}` }), ` in ${answer.ms} ms`, keyHeaders(answer.headers) ? h("span", { class: "muted", text: ` · ${keyHeaders(answer.headers)}` }) : null),
    body,
    h("details", {}, h("summary", { text: "Response headers" }), headerTable(answer.headers)));
}
