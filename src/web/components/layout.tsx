// The page frame every console page renders in: the head with the stylesheet,
// and, once signed in, the navigation and the sign-out form. hono/jsx escapes
// every text and attribute value it renders.
import type { Child, FC } from "hono/jsx";

export const Layout: FC<{ title: string; csrf?: string; children?: Child }> = ({ title, csrf, children }) => (
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
						<a href="/console/webhooks">Webhooks</a>
						<a href="/console/notifications">History</a>
						<a href="/console/sender-ips">Sender IPs</a>
					</nav>
				)}
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
