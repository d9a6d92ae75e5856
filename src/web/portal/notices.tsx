// The portal's pages that are not a tenant's: a link that does not open, a
// session that has ended, a change refused to a read-only session, and the
// bare /portal address. None shows anything of a tenant.
import type { Context } from "hono";
import { Layout } from "../components/layout";
import { page, type WebContext } from "../render";

const notice = (c: Context, status: 401 | 403 | 404, title: string, text: string) =>
	c.html(
		<Layout title={title}>
			<h1>{title}</h1>
			<p id="notice">{text}</p>
		</Layout>,
		status,
	);

export const linkRefused = (c: Context, why: "invalid" | "expired") =>
	why === "expired"
		? notice(c, 403, "This link has expired", "Portal links work for a limited time. Ask for a new link.")
		: notice(c, 403, "This link does not open the portal", "The link is not valid. Ask for a new link.");

export const sessionEnded = (c: Context) =>
	notice(
		c,
		401,
		"Your portal session has ended",
		"A portal session ends when the link that started it expires. Ask for a new link to continue.",
	);

export const portalHome = (c: Context) =>
	notice(c, 404, "Tenant portal", "Open the portal with the link you were given.");

/** A change asked of a read-only session: refused here, whatever the page offered. */
export const readOnlyRefused = (c: WebContext) =>
	page(
		c,
		"Read-only",
		<>
			<h1>Read-only</h1>
			<p id="notice">This portal link is read-only: it shows everything and changes nothing.</p>
		</>,
		403,
	);
