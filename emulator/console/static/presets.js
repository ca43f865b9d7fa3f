// Error-path presets for one operation of "Try it": each sends what a client might get wrong and
// shows whether the emulator answered with the documented status.
import { control, send } from "./api.js";
import { keyHeaders, frames } from "./result.js";

const WRITE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const BURST_LIMIT = 400;
const STALL_MS = 3000;
const STREAM_FAULTS = [
  ["stream-cut", "Stream cut (no [DONE])"],
  ["stream-stall", "Stream stall"],
  ["in-band-error", "In-band error event"],
  ["slow-first-token", "Slow first token"],
];

function problemDetail(answer) {
  try { return JSON.parse(answer.text).detail || ""; } catch { return ""; }
}

/** The presets that apply to ``op`` (a parsed operation), each {id, label, expect, run(request)}. */
export function presetsFor(op, tenantOf) {
  const secured = !op.op["x-emulator-control"] && (op.op.security || [{}]).length > 0;
  const params = (op.op.parameters || []);
  const out = [];
  if (secured) {
    out.push({ id: "401", label: "No token → 401", expect: 401, run: async (r) => {
      const a = await send({ ...r, token: null });
      return { answer: a, note: problemDetail(a) };
    } });
  }
  if (secured && WRITE.has(op.method)) {
    out.push({ id: "403", label: "Read-only token on a write → 403", expect: 403, run: async (r) => {
      const a = await send({ ...r, token: "read-only-token" });
      return { answer: a, note: problemDetail(a) };
    } });
  }
  if (params.some((p) => p.in === "path")) {
    out.push({ id: "404", label: "Unknown id → 404", expect: 404, run: async (r) => {
      const a = await send({ ...r, path: r.pathWith("does-not-exist") });
      return { answer: a, note: problemDetail(a) };
    } });
  }
  if (op.op.requestBody) {
    out.push({ id: "422", label: "Invalid body → 422", expect: 422, run: async (r) => {
      let body = {};
      let field = "(body)";
      try {
        body = JSON.parse(r.body || "{}");
        field = Object.keys(body)[0] || field;
        if (field !== "(body)") delete body[field];
        else body = { unexpectedField: true };
      } catch { body = "[not json"; }
      const a = await send({ ...r, body: typeof body === "string" ? body : JSON.stringify(body) });
      const named = problemDetail(a);
      return { answer: a, note: `removed '${field}': ${named}` };
    } });
  }
  if (params.some((p) => p.name === "Idempotency-Key")) {
    out.push({ id: "idempotency", label: "Same Idempotency-Key twice, then a changed body → replay, 422", expect: 422, run: async (r) => {
      const key = `console-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
      const headers = { ...r.headers, "Idempotency-Key": key };
      const first = await send({ ...r, headers });
      const second = await send({ ...r, headers });
      let changed = r.body;
      try { const b = JSON.parse(r.body); const k = Object.keys(b).find((x) => typeof b[x] === "string") || "name"; b[k] = `${b[k] ?? ""} (changed)`; changed = JSON.stringify(b); } catch { changed = `${r.body} `; }
      const third = await send({ ...r, headers, body: changed });
      const replayed = second.headers["idempotent-replayed"] === "true" && second.status === first.status;
      return { answer: third, note: `first ${first.status}, again ${second.status}${replayed ? " (Idempotent-Replayed: true)" : " (not replayed)"}, changed body ${third.status}: ${problemDetail(third)}`, ok: replayed };
    } });
  }
  if (secured) {
    out.push({ id: "429", label: "Burst until 429", expect: 429, run: async (r) => {
      let a = null;
      let n = 0;
      while (n < BURST_LIMIT) {
        n += 1;
        a = await send(r);
        if (a.status === 429) break;
      }
      const headers = a ? keyHeaders(a.headers) : "";
      return { answer: a, note: a?.status === 429 ? `429 after ${n} requests · ${headers}` : `no 429 after ${n} requests (rate limits off?)` };
    } });
  }
  if (op.method === "POST" && op.path === "/v1/chats") {
    for (const [scenario, label] of STREAM_FAULTS) {
      out.push({ id: scenario, label, expect: 200, run: (r) => streamFault(r, scenario, tenantOf(r.token)) });
    }
  }
  return out;
}

async function streamFault(r, scenario, org) {
  await control("POST", "/_emulator/scenarios", { name: scenario, ...(org ? { org } : {}) });
  const before = (await control("GET", "/_emulator/clock")).data?.epoch;
  const abort = new AbortController();
  let timer = setTimeout(() => abort.abort(), STALL_MS);
  let body = r.body;
  try { const b = JSON.parse(r.body); b.stream = true; body = JSON.stringify(b); } catch { /* sent as typed */ }
  let answer;
  let note = "";
  let firstMs = null;
  let received = "";
  const started = performance.now();
  try {
    answer = await send({ ...r, body, signal: abort.signal, onChunk: (_, text) => {
      received = text;
      firstMs ??= Math.round(performance.now() - started);
      clearTimeout(timer);
      timer = setTimeout(() => abort.abort(), STALL_MS);
    } });
  } catch (error) {
    answer = { status: 200, headers: { "content-type": "text/event-stream" }, text: received, ms: Math.round(performance.now() - started) };
    note = error.name === "AbortError" ? `stalled: no byte for ${STALL_MS / 1000} s, the console gave up` : `connection broken: ${error.message}`;
  } finally {
    clearTimeout(timer);
    const query = org ? `?org=${encodeURIComponent(org)}` : "";
    await control("DELETE", `/_emulator/scenarios/${scenario}${query}`);
  }
  const after = (await control("GET", "/_emulator/clock")).data?.epoch;
  const timing = await clockTiming();
  const list = frames(answer.text);
  const moved = before !== undefined && after !== undefined && after - before > 0 ? ` · clock moved ${Math.round((after - before) * 1000) / 1000} s` : "";
  const ended = list.length && list[list.length - 1].includes("[DONE]") ? "ended with [DONE]" : "no [DONE]";
  const errorEvent = list.some((f) => f.includes('"error"')) ? " · in-band error event" : "";
  answer.note = note;
  return { answer, note: `${list.length} events, ${ended}${errorEvent}${firstMs !== null ? ` · first bytes after ${firstMs} ms` : ""}${timing}${moved}${note ? ` · ${note}` : ""}` };
}

/** "first delta at +1.5 s of the clock": the journal records a stream's events with their clock times. */
async function clockTiming() {
  const list = (await control("GET", "/_emulator/requests?method=POST&path=/v1/chats")).data?.items || [];
  if (!list.length) return "";
  const entry = (await control("GET", `/_emulator/requests/${list[list.length - 1].seq}`)).data;
  const events = (entry?.streamEvents || []).filter((e) => e.data.includes("delta") || e.data.includes("content"));
  if (!events.length) return "";
  return ` · first delta at +${Math.round((events[0].time - entry.time) * 1000) / 1000} s of the clock`;
}
