// The page frame every console page renders in: the head with the stylesheet,
// and, once signed in, the navigation of the tenant the page acts for (`base`),
// the tenant picker and the sign-out form. hono/jsx escapes every text and
// attribute value it renders.
import type { Child, FC } from "hono/jsx";
import { DEFAULT_TENANT } from "../../access/principal";
import { type Picker, TenantPicker } from "./tenant-picker";

type LayoutProps = { title: string; csrf?: string; base?: string; picker?: Picker; children?: Child };

/** The Tenants page keeps the picked tenant in its address, so the picker there still shows it. */
const tenantsHref = (picker: Picker) =>
	picker.picked && picker.picked.id !== DEFAULT_TENANT
		? `/console/tenants?tenant=${encodeURIComponent(picker.picked.id)}`
		: "/console/tenants";

export const Layout: FC<LayoutProps> = ({ title, csrf, base = "/console", picker, children }) => (
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
				{csrf && (
					<form method="post" action="/console/logout">
						<Csrf token={csrf} />
						<button type="submit" class="secondary">
							Sign out
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
