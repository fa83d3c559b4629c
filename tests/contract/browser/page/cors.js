// Cross-origin calls to the Safeguarding Partnership API from a browser page.
// Query string: base (service URL), token (bearer JWT), mode (allowed|foreign),
// slug + minutes (a meeting with published minutes), partnership, group,
// meeting + etag (a meeting to PATCH and its current ETag), run (a nonce).
// Every outcome lands in #result as JSON; data-state="done" when finished.
"use strict";

const q = new URLSearchParams(location.search);
const base = q.get("base");
const token = q.get("token");
const mode = q.get("mode") || "allowed";
const run = q.get("run") || String(Date.now());
const auth = { Authorization: "Bearer " + token };

// The fetch outcome as data: status and chosen headers, or the exception a
// browser raises when CORS withholds the answer (TypeError: Failed to fetch).
async function call(name, url, init, read) {
  const started = performance.now();
  const out = { name };
  try {
    const r = await fetch(url, init);
    out.status = r.status;
    out.type = r.type; // "cors" when read across origins
    out.headers = {};
    for (const h of ["etag", "location", "content-type", "idempotent-replayed", "www-authenticate"]) {
      out.headers[h] = r.headers.get(h);
    }
    const text = await r.text();
    let body = null;
    try { body = JSON.parse(text); } catch (_) { body = null; }
    if (read && body) Object.assign(out, read(body));
    if (body && body.type && body.title) out.problem = { type: body.type, title: body.title };
  } catch (e) {
    out.error = e.name + ": " + e.message;
  }
  out.ms = Math.round(performance.now() - started);
  return out;
}

async function main() {
  const results = { mode, origin: location.origin, calls: {} };
  const put = (o) => { results.calls[o.name] = o; };
  const json = { "Content-Type": "application/json" };

  // (a) Public minutes: no token, a simple request (no preflight).
  put(await call("public_minutes",
    `${base}/v1/public/partnerships/${q.get("slug")}/meetings/${q.get("minutes")}/minutes`, {},
    (b) => ({ title: b.meeting && b.meeting.title, partnership_name: b.partnership_name,
              minutes_status: b.meeting && b.meeting.minutes_status })));

  // (b) An authenticated list: Authorization makes the browser preflight it.
  put(await call("list_meetings",
    `${base}/v1/partnerships/${q.get("partnership")}/meetings?limit=100`, { headers: auth },
    (b) => ({ count: (b.items || []).length,
              has_minutes_meeting: (b.items || []).some((m) => m.id === q.get("minutes")) })));

  // (c) PATCH with If-Match (preflighted for PATCH, If-Match, Content-Type);
  // the new ETag must be readable, i.e. exposed.
  put(await call("patch_meeting", `${base}/v1/meetings/${q.get("meeting")}`, {
    method: "PATCH",
    headers: { ...auth, ...json, "If-Match": q.get("etag") },
    body: JSON.stringify({ location: `Browser CORS check ${run}` }),
  }, (b) => ({ location_field: b.location, version: b.version })));

  if (mode === "allowed") {
    // The same PATCH again with the now stale ETag: 412, and an error answer
    // is as readable as a success.
    put(await call("patch_stale", `${base}/v1/meetings/${q.get("meeting")}`, {
      method: "PATCH",
      headers: { ...auth, ...json, "If-Match": q.get("etag") },
      body: JSON.stringify({ location: "stale" }),
    }));

    // A POST with Idempotency-Key: Location is exposed; the retry replays.
    const create = () => call("create_meeting", `${base}/v1/partnerships/${q.get("partnership")}/meetings`, {
      method: "POST",
      headers: { ...auth, ...json, "Idempotency-Key": `browser-${run}` },
      body: JSON.stringify({ group_id: q.get("group"), title: `Browser CORS check ${run}`,
                             starts_at: "2031-01-15T10:00:00Z" }),
    }, (b) => ({ id: b.id }));
    put(await create());
    const again = await create();
    again.name = "create_meeting_replay";
    put(again);

    // No token: the 401 is readable too, with its WWW-Authenticate.
    put(await call("list_without_token",
      `${base}/v1/partnerships/${q.get("partnership")}/meetings`, {}));
  }
  return results;
}

const pre = document.getElementById("result");
main().then(
  (r) => { pre.textContent = JSON.stringify(r, null, 1); pre.dataset.state = "done"; },
  (e) => { pre.textContent = JSON.stringify({ crashed: String(e) }); pre.dataset.state = "crashed"; },
);
