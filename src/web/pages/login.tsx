// The sign-in page: the admin token, exchanged for a session cookie by the app
// shell (app.tsx), which renders this page again with the reason it refused.
import type { FC } from "hono/jsx";
import { Layout } from "../components/layout";
import { SESSION_SECONDS } from "../session";

export const LoginPage: FC<{ error?: string }> = ({ error }) => (
	<Layout title="Sign in">
		<h1>Sign in</h1>
		<form method="post" action="/console/login" class="card">
			{error && <div class="alert bad">{error}</div>}
			<label for="token">Admin token</label>
			<input id="token" name="token" type="password" autocomplete="current-password" required />
			<div class="actions">
				<button type="submit">Sign in</button>
			</div>
			<p class="muted">The token is exchanged for a session cookie that lasts {SESSION_SECONDS / 3600} hours.</p>
		</form>
	</Layout>
);
