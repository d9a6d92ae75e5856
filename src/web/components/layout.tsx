// The page frame every console and portal page renders in: the head with the
// stylesheet, and, once signed in, the navigation of the tenant the page acts
// for (`base`), then the console's tenant picker or the portal's banner (whose
// portal, read-only or not, until when), and the sign-out form. hono/jsx
// escapes every text and attribute value it renders.
import type { Child, FC } from "hono/jsx";
import { DEFAULT_TENANT } from "../../access/principal";
import { When } from "./status";
import { type Picker, TenantPicker } from "./tenant-picker";

/** A portal session, as its frame shows it. */
export type PortalFrame = { tenantName: string; readOnly: boolean; endsAt: number };

type LayoutProps = {
	title: string;
	csrf?: string;
	base?: string;
	picker?: Picker;
	portal?: PortalFrame;
	children?: Child;
};

/** The Tenants page keeps the picked tenant in its address, so the picker there still shows it. */
const tenantsHref = (picker: Picker) =>
	picker.picked && picker.picked.id !== DEFAULT_TENANT
		? `/console/tenants?tenant=${encodeURIComponent(picker.picked.id)}`
		: "/console/tenants";

const PortalBanner: FC<{ portal: PortalFrame }> = ({ portal }) => (
	<p class="portal-banner" id="portal-banner">
		<span>{portal.tenantName}</span>
		{portal.readOnly && <span class="badge">read-only</span>}
		<span class="muted">
			until <When at={portal.endsAt} />
		</span>
	</p>
);

export const Layout: FC<LayoutProps> = ({ title, csrf, base = "/console", picker, portal, children }) => (
	<html lang="en">
		<head>
			<meta charset="utf-8" />
			<meta name="viewport" content="width=device-width, initial-scale=1" />
			<title>{`${title} · Hookline`}</title>
			<link rel="stylesheet" href="/console/assets/style.css" />
		</head>
		<body>
			<header>
				<strong>Hookline</strong>
				{csrf && (
					<nav>
						<a href={`${base}/webhooks`}>Webhooks</a>
						<a href={`${base}/notifications`}>History</a>
						{picker && <a href={`${base}/keys`}>Keys</a>}
						<a href={`${base}/sender-ips`}>Sender IPs</a>
						{picker && <a href={tenantsHref(picker)}>Tenants</a>}
					</nav>
				)}
				{csrf && picker && <TenantPicker picker={picker} />}
				{csrf && portal && <PortalBanner portal={portal} />}
				{csrf && (
					<form method="post" action={portal ? `${base}/logout` : "/console/logout"}>
						<Csrf token={csrf} />
						<button type="submit" class="secondary">
							{portal ? "End session" : "Sign out"}
						</button>
					</form>
				)}
			</header>
			<main>{children}</main>
		</body>
	</html>
);

/** The session's CSRF token, which every form posts back. */
export const Csrf: FC<{ token: string }> = ({ token }) => <input type="hidden" name="_csrf" value={token} />;
