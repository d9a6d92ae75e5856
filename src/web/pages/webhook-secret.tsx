// The one page that shows a webhook's signing secret: after it is created and
// after the secret is rotated. No other page shows it again.
import { page, type WebContext } from "../render";

export const secretPage = (c: WebContext, webhook: { id: string; name: string }, secret: string, title: string) =>
	page(
		c,
		title,
		<>
			<h1>{title}</h1>
			<div class="alert good">The signing secret of “{webhook.name}” is shown this once. Store it now.</div>
			<p class="secret" id="secret">
				{secret}
			</p>
			<p>
				<a href={`${c.get("base")}/webhooks/${webhook.id}`}>Continue to the webhook</a>
			</p>
		</>,
	);
