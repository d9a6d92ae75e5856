// A stand-in for a platform's own web app that embeds the tenant portal: a
// loopback HTTP server whose page /embed?src=<portal link> holds the link in an
// iframe. Its origin is http://127.0.0.1:<port>, a different site from a portal
// opened at http://localhost:<port>, so the portal's cookie is a third-party
// cookie there, as on a real platform.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export type PlatformPage = { origin: string; embed: (src: string) => string; close: () => Promise<void> };

const escapeAttribute = (value: string) => value.replaceAll("&", "&amp;").replaceAll('"', "&quot;");

export const startPlatformPage = async (): Promise<PlatformPage> => {
	const server = createServer((req, res) => {
		const src = new URL(req.url ?? "/", "http://127.0.0.1").searchParams.get("src") ?? "about:blank";
		res.setHeader("content-type", "text/html; charset=utf-8");
		res.end(
			`<!doctype html><title>Platform</title><body style="margin:0;font:15px system-ui;background:#eef1f5">` +
				`<div style="padding:12px 16px;background:#23395d;color:#fff"><b>Example Platform</b> · Settings · Webhooks</div>` +
				`<iframe id="portal" src="${escapeAttribute(src)}" style="border:0;width:100%;height:720px;background:#fff"></iframe>`,
		);
	});
	await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
	const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	return {
		origin,
		embed: (src) => `${origin}/embed?src=${encodeURIComponent(src)}`,
		close: () =>
			new Promise<void>((closed) => {
				server.closeAllConnections();
				server.close(() => closed());
			}),
	};
};
