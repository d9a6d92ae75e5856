// The console's two static assets, served by the app shell from
// /console/assets/: the stylesheet and the live-preview script. They are files,
// not inline, so the Content-Security-Policy allows no inline style or script.

export const STYLE = `
:root { --fg:#1b1f24; --muted:#5b6470; --line:#d8dde3; --bg:#f6f7f9; --ok:#1a7f37; --bad:#cf222e; --warn:#9a6700; --info:#0969da; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:var(--bg); }
header { display:flex; flex-wrap:wrap; gap:.5rem 1.25rem; align-items:center; padding:.75rem 1rem; background:#fff; border-bottom:1px solid var(--line); }
header strong { font-size:1.1rem; }
header nav { display:flex; flex-wrap:wrap; gap:1rem; }
header form { margin-left:auto; }
header form.picker { display:flex; gap:.4rem; align-items:center; }
header form.picker label { font-weight:400; }
header form.picker select { width:auto; max-width:18rem; }
header form.picker + form { margin-left:0; }
header .portal-banner { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; margin:0 0 0 auto; }
header .portal-banner + form { margin-left:0; }
fieldset.read-only { border:0; padding:0; margin:0; min-width:0; }
main { padding:1rem; max-width:1200px; margin:0 auto; }
a { color:var(--info); }
h1 { font-size:1.35rem; margin:.25rem 0 1rem; }
h2 { font-size:1.1rem; margin:1.5rem 0 .5rem; }
table { width:100%; border-collapse:collapse; background:#fff; }
th, td { text-align:left; padding:.45rem .5rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:.8rem; color:var(--muted); text-transform:uppercase; letter-spacing:.03em; }
.scroll { overflow-x:auto; }
.badge { display:inline-block; padding:.05rem .45rem; border-radius:1rem; font-size:.8rem; border:1px solid currentColor; white-space:nowrap; }
.delivered, .closed, .enabled { color:var(--ok); }
.failed, .open, .disabled { color:var(--bad); }
.retrying, .paused, .half_open { color:var(--warn); }
.pending, .skipped { color:var(--muted); }
.muted { color:var(--muted); }
.card { background:#fff; border:1px solid var(--line); border-radius:6px; padding:1rem; margin:0 0 1rem; }
.grid { display:grid; grid-template-columns:repeat(auto-fit, minmax(16rem, 1fr)); gap:.75rem 1rem; }
label { display:block; font-weight:600; font-size:.9rem; }
label small { font-weight:400; color:var(--muted); }
input, select, textarea { width:100%; font:inherit; padding:.4rem; border:1px solid var(--line); border-radius:4px; background:#fff; }
input[type=checkbox], input[type=radio] { width:auto; }
fieldset { border:1px solid var(--line); border-radius:4px; margin:.75rem 0; }
fieldset label { font-weight:400; }
textarea { min-height:6rem; font-family:ui-monospace, SFMono-Regular, Menlo, monospace; font-size:.85rem; }
button { font:inherit; padding:.4rem .9rem; border-radius:4px; border:1px solid var(--info); background:var(--info); color:#fff; cursor:pointer; }
button.secondary { background:#fff; color:var(--info); }
button.danger { background:var(--bad); border-color:var(--bad); }
.actions { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; margin:.75rem 0; }
.actions form { margin:0; }
.error { color:var(--bad); font-size:.85rem; }
.alert { padding:.6rem .8rem; border-radius:4px; margin:0 0 1rem; border:1px solid; }
.alert.bad { color:var(--bad); background:#ffebe9; }
.alert.good { color:var(--ok); background:#dafbe1; }
pre { background:#0d1117; color:#e6edf3; padding:.75rem; border-radius:6px; overflow-x:auto; font-size:.8rem; white-space:pre-wrap; word-break:break-word; }
.timeline { list-style:none; padding:0; margin:0; }
.timeline li { border-left:3px solid var(--line); padding:.25rem 0 .75rem .75rem; }
.timeline li.ok { border-color:var(--ok); }
.timeline li.bad { border-color:var(--bad); }
svg.chart { width:120px; height:28px; display:block; }
svg.chart .ok { fill:var(--ok); }
svg.chart .bad { fill:var(--bad); }
#alerts { margin-top:1.5rem; }
#alerts h2 { margin-top:0; }
.filters { display:grid; grid-template-columns:repeat(auto-fit, minmax(10rem, 1fr)); gap:.5rem; align-items:end; margin-bottom:1rem; }
.secret { font-family:ui-monospace, monospace; font-size:1rem; padding:.5rem; background:#fff8c5; border:1px solid var(--warn); word-break:break-all; }
@media (max-width: 640px) { th.optional, td.optional { display:none; } main { padding:.5rem; } }
`;

/**
 * The live preview: while the webhook form changes, it posts the form (with
 * its CSRF token) to the preview fragment route, 400 ms after the last
 * keystroke, and shows the answer, which hono/jsx rendered and escaped. Without
 * script, the "Preview request" button does the same with a full page.
 */
export const PREVIEW_SCRIPT = `"use strict";
(() => {
	const form = document.querySelector("form[data-preview]");
	const target = document.getElementById("preview-live");
	if (!form || !target) return;
	let timer;
	let latest = 0;
	const refresh = async () => {
		const mine = ++latest;
		try {
			const res = await fetch(form.dataset.preview, {
				method: "POST",
				credentials: "same-origin",
				body: new URLSearchParams(new FormData(form)),
			});
			if (mine === latest && res.ok) target.innerHTML = await res.text();
		} catch {}
	};
	form.addEventListener("input", () => {
		clearTimeout(timer);
		timer = setTimeout(refresh, 400);
	});
})();
`;
