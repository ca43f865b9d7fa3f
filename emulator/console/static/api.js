// Talking to the emulator: the control plane (with the admin token, if the server wants one),
// the API itself (with whatever token the user picked), and the journal's event stream.

const ADMIN_KEY = "cuadra-emulator.admin-token";
const waiting = [];

export function adminHeaders() {
  const token = sessionStorage.getItem(ADMIN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

export function setAdminToken(token) {
  sessionStorage.setItem(ADMIN_KEY, token);
  document.getElementById("admin-form").hidden = true;
  while (waiting.length) waiting.shift()();
}

function needAdminToken() {
  const form = document.getElementById("admin-form");
  if (form.hidden) {
    form.hidden = false;
    document.getElementById("admin-token").focus();
  }
  return new Promise((resolve) => waiting.push(resolve));
}

/** Call the control plane; on 401 ask for the admin token once and retry. */
export async function control(method, path, body, contentType) {
  for (;;) {
    const headers = { Accept: "application/json", ...adminHeaders() };
    let payload;
    if (body !== undefined) {
      headers["Content-Type"] = contentType || "application/json";
      payload = typeof body === "string" ? body : JSON.stringify(body);
    }
    const response = await fetch(path, { method, headers, body: payload });
    if (response.status === 401) { await needAdminToken(); continue; }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    return { status: response.status, ok: response.ok, headers: response.headers, data, text };
  }
}

/** Send one API request as a client would; returns status, headers, body text and time taken. */
export async function send({ method, path, token, headers = {}, body, signal, onChunk }) {
  const all = { ...headers };
  if (token) all.Authorization = `Bearer ${token}`;
  if (body !== undefined && body !== null && body !== "" && !all["Content-Type"]) all["Content-Type"] = "application/json";
  const started = performance.now();
  const response = await fetch(path, { method, headers: all, body: body === "" ? undefined : body, signal });
  let text = "";
  if (onChunk && response.body) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      onChunk(value, text);
    }
  } else {
    text = await response.text();
  }
  return { status: response.status, headers: Object.fromEntries(response.headers.entries()), text, ms: Math.round(performance.now() - started) };
}

/** Read server-sent events from ``path`` (fetch, so the admin token can ride along); yields {event, data}. */
export async function* events(path, signal) {
  const response = await fetch(path, { headers: { Accept: "text/event-stream", ...adminHeaders() }, signal });
  if (response.status === 401) { await needAdminToken(); return; }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length) yield { event, data: JSON.parse(data.join("\n")) };
    }
  }
}
