/** The confirmation page a notification's Approve/Reject link opens. Showing it changes nothing; its button POSTs. */
export interface LinkPageData {
  token: string;
  action: "approve" | "reject";
  project: string;
  release: string;
  environment: string;
  status: string;
  expiresAt: string;
}

export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderLinkPage(data: LinkPageData): string {
  const verb = data.action === "approve" ? "Approve" : "Reject";
  const json = JSON.stringify({ token: data.token, action: data.action }).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${verb} ${escapeHtml(data.release)} → ${escapeHtml(data.environment)} · stagegate</title>
<style>body{font:16px system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1b1f24}
label{display:block;margin:.75rem 0 .25rem}input,textarea{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}
button{margin-top:1rem;padding:.6rem 1.2rem;font:inherit;cursor:pointer}#result{margin-top:1rem}</style></head>
<body><main>
<h1>${verb} ${escapeHtml(data.project)} ${escapeHtml(data.release)} → ${escapeHtml(data.environment)}</h1>
<p>Deployment status: <strong>${escapeHtml(data.status)}</strong>. This link works once and expires at ${escapeHtml(data.expiresAt)}.</p>
<form id="decide">
<div id="login" hidden><label for="u">Username</label><input id="u" autocomplete="username" required>
<label for="p">Password</label><input id="p" type="password" autocomplete="current-password" required></div>
<label for="c">Comment${data.action === "reject" ? " (required)" : " (optional)"}</label>
<textarea id="c" rows="3"${data.action === "reject" ? " required" : ""}></textarea>
<button type="submit">${verb}</button></form>
<p id="result" role="status"></p>
</main>
<script>
const link = ${json};
const out = document.getElementById("result");
let csrf = null;
fetch("/api/v1/session", { credentials: "same-origin" }).then(async (r) => {
  if (r.ok) csrf = (await r.json()).csrfToken; else document.getElementById("login").hidden = false;
});
document.getElementById("decide").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!csrf) {
    const r = await fetch("/api/v1/session", { method: "POST", credentials: "same-origin", headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: document.getElementById("u").value, password: document.getElementById("p").value }) });
    const body = await r.json();
    if (!r.ok) { out.textContent = body.error ? body.error.message : "Sign-in failed"; return; }
    csrf = body.csrfToken;
  }
  const comment = document.getElementById("c").value;
  const r = await fetch("/api/v1/approval-links/" + encodeURIComponent(link.token), { method: "POST", credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": csrf }, body: JSON.stringify(comment ? { comment } : {}) });
  const body = await r.json();
  out.textContent = r.ok ? "Done: the deployment is " + body.status + "." : body.error.message;
});
</script></body></html>`;
}
