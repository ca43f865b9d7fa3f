// One journal entry in full: request and response headers and bodies, problem+json highlighted,
// a streamed answer as its events with their clock times, and "copy as curl".
import { control } from "./api.js";
import { minted } from "./tokens.js";
import { h, clear, pretty, statusClass, isoTime, copyText, headerTable } from "./dom.js";

const SKIP_IN_CURL = new Set(["host", "content-length", "connection", "accept-encoding", "user-agent", "origin", "referer", "sec-fetch-mode", "sec-fetch-site", "sec-fetch-dest", "sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform", "accept-language"]);

const quote = (text) => `'${String(text).replaceAll("'", "'\\''")}'`;
const REDACTED = /\[redacted sha256:([0-9a-f]{8})\]/g;

async function sha8(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].slice(0, 4).map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The journal redacts credentials as sha256 fingerprints; put back the tokens this page knows
 * (fixture and minted ones), and a $TOKEN placeholder for any other. */
async function knownTokens() {
  const { data } = await control("GET", "/_emulator/tokens");
  const tokens = [...(data?.items || []).map((t) => t.token), ...minted.map((m) => m.token)];
  const out = new Map();
  if (globalThis.crypto?.subtle) for (const token of tokens) out.set(await sha8(token), token);
  return out;
}

export async function curlFor(entry) {
  const url = `${location.origin}${entry.path}${entry.query ? `?${entry.query}` : ""}`;
  const parts = ["curl", "-X", entry.method, quote(url)];
  const known = await knownTokens();
  let placeholder = false;
  const SENTINEL = "\u0000TOKEN\u0000";  // swapped for '"$TOKEN"' after quoting, so the shell expands it
  const restore = (value) => value.replace(REDACTED, (_, hash) => known.get(hash) ?? ((placeholder = true), SENTINEL));
  for (const [name, value] of Object.entries(entry.requestHeaders || {})) {
    if (!SKIP_IN_CURL.has(name.toLowerCase())) parts.push("-H", quote(`${name}: ${restore(value)}`).replace(SENTINEL, `'"$TOKEN"'`));
  }
  if (entry.requestBody) parts.push("--data-raw", quote(entry.requestBody));
  return (placeholder ? "# the journal redacts credentials it does not know: export TOKEN=... first\n" : "") + parts.join(" ");
}

function body(text, contentType) {
  if (!text) return h("p", { class: "muted", text: "(no body)" });
  const problem = (contentType || "").includes("problem+json");
  return h("pre", { class: problem ? "body problem" : "body", "data-kind": problem ? "problem" : "body" }, pretty(text));
}

function streamEvents(entry) {
  const frames = [];
  for (const event of entry.streamEvents) {
    for (const frame of event.data.split("\n\n")) if (frame.trim()) frames.push({ time: event.time, frame });
  }
  const last = frames.length ? frames[frames.length - 1].frame : "";
  const complete = last.includes("[DONE]");
  return h("div", { class: "events" },
    h("h4", { text: `Stream: ${frames.length} events` }),
    h("ol", { class: "event-list" }, frames.map((f) => h("li", {}, h("span", { class: "muted", text: isoTime(f.time).slice(11) + " " }), h("code", { text: f.frame })))),
    complete ? null : h("p", { class: "cut", text: `⚡ the stream ended here without [DONE] (${entry.streamEnd || "cut"}${entry.rule ? `, rule ${entry.rule}` : ""})` }));
}

export async function showDetail(aside, seq) {
  const { status, data } = await control("GET", `/_emulator/requests/${seq}`);
  if (status !== 200) { clear(aside, h("p", { class: "muted", text: `Request ${seq} is no longer in the journal.` })); return; }
  const curl = await curlFor(data);
  const responseType = Object.entries(data.responseHeaders || {}).find(([k]) => k.toLowerCase() === "content-type")?.[1] || "";
  const requestType = Object.entries(data.requestHeaders || {}).find(([k]) => k.toLowerCase() === "content-type")?.[1] || "";
  let responsePart;
  if (data.streamed && data.streamEvents) responsePart = streamEvents(data);
  else if (data.streamed) responsePart = h("p", { class: "muted", text: "A streamed answer (its events are recorded while a console is open)." });
  else responsePart = body(data.responseBody, responseType);
  const copy = h("button", { type: "button", class: "copy-curl", onclick: (event) => copyText(curl, event.target) }, "Copy as curl");
  clear(aside,
    h("h3", {}, `${data.method} ${data.path}`, h("span", { class: `status ${statusClass(data.status)}`, text: ` ${data.status}` })),
    h("p", { class: "muted", text: [`#${data.seq}`, isoTime(data.time), data.orgId && `tenant ${data.orgId}`, data.rule && `rule ${data.rule}`, data.durationMs !== null && `${data.durationMs} ms`].filter(Boolean).join(" · ") }),
    (data.warnings || []).length ? h("ul", { class: "warnings" }, data.warnings.map((w) => h("li", { text: typeof w === "string" ? w : JSON.stringify(w) }))) : null,
    copy,
    h("pre", { class: "curl", text: curl }),
    h("h4", { text: "Request headers" }), headerTable(data.requestHeaders),
    h("h4", { text: "Request body" }), body(data.requestBody, requestType),
    h("h4", { text: "Response headers" }), headerTable(data.responseHeaders),
    h("h4", { text: "Response" }), responsePart);
}
