// Deleting a webhook: a confirmation page with a box to tick, then
// DELETE …/webhooks/:id. Its pending deliveries stop; its history stays.
import { Hono } from "hono";
import { Csrf } from "../components/layout";
import { problemText } from "../forms/problem";
import { notFound, page, type WebEnv } from "../render";

export const webhookDeletePage = new Hono<WebEnv>()
	.get("/webhooks/:id/delete", async (c) => {
		const found = await c.get("api").webhook(c.req.param("id"));
		if (!found.ok) return notFound(c, "This webhook");
		const webhook = found.body;
		const base = c.get("base");
		return page(
			c,
			"Delete webhook",
			<>
				<h1>Delete “{webhook.name}”?</h1>
				<form method="post" action={`${base}/webhooks/${webhook.id}/delete`} class="card">
					<Csrf token={c.get("session").csrf} />
					<p>Its pending deliveries stop (they end failed); its history stays readable.</p>
					<label>
						<input type="checkbox" name="confirm" required /> Yes, delete this webhook
					</label>
					<div class="actions">
						<button type="submit" class="danger">
							Delete
						</button>
						<a href={`${base}/webhooks/${webhook.id}`}>Cancel</a>
					</div>
				</form>
			</>,
		);
	})
	.post("/webhooks/:id/delete", async (c) => {
		const form = await c.req.parseBody();
		const id = c.req.param("id");
		const base = c.get("base");
		// The box is required in the page; a post without it (no browser check) asks again.
		if (form.confirm !== "on") return c.redirect(`${base}/webhooks/${encodeURIComponent(id)}/delete`, 303);
		const result = await c.get("api").deleteWebhook(id);
		if (!result.ok)
			return c.redirect(
				`${base}/webhooks/${encodeURIComponent(id)}?err=${encodeURIComponent(problemText(result.problem).join("; "))}`,
				303,
			);
		return c.redirect(`${base}/webhooks`, 303);
	});
