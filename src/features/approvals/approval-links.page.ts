/** What a notification's link shows when it cannot be used: a small server page, since there is nothing to open. */
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderLinkError(message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Approval link · stagegate</title>
<style>body{font:16px system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}</style></head>
<body><main><h1>This link cannot be used</h1><p role="alert">${escapeHtml(message)}</p>
<p><a href="/approvals">Open your approvals in stagegate</a></p></main></body></html>`;
}

/**
 * Where a valid link leads: the dashboard's approval page with all the evidence. The token rides in the fragment, which
 * browsers never send to a server nor put in a Referer; the page spends it when the person decides.
 */
export function approvalPageLocation(link: { deploymentId: string; action: "approve" | "reject"; token: string }): string {
  const fragment = new URLSearchParams({ link: link.token, action: link.action });
  return `/approvals/${encodeURIComponent(link.deploymentId)}#${fragment.toString()}`;
}
