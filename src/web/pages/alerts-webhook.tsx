// The alerts webhook in one step: the tenant gives a URL, and gets a webhook
// for every operational event (eventTypes ["hookline.*"]): a notification that
// failed for good, a circuit that opened or closed, a webhook disabled or
// enabled (docs/operational-events.md). The form sits on the webhook list;
// the new webhook's secret shows once, as after any creation.
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import { OPERATIONAL_PREFIX } from "../../ops-events/types";
import { FieldError, type FieldErrors } from "../components/fields";
import { Csrf } from "../components/layout";
import type { FormBody } from "../forms/posted";
import { errorsByField } from "../forms/problem";
import { page, type WebEnv } from "../render";
import { secretPage } from "./webhook-secret";

export const ALERTS_NAME = "Hookline alerts";
export const ALERTS_EVENT_TYPES = [`${OPERATIONAL_PREFIX}*`];

export const AlertsForm: FC<{ base: string; csrf: string; url?: string; errors?: FieldErrors }> = ({
	base,
	csrf,
	url = "",
	errors = {},
}) => (
	<form method="post" action={`${base}/webhooks/alerts`} class="card" id="alerts">
		<Csrf token={csrf} />
		<h2>Alerts</h2>
		<p class="muted">
			Hookline tells you what happens to your deliveries as events of its own: a notification that failed for good, an
			endpoint whose circuit opened or closed, a webhook disabled or enabled. A webhook gets them only if it names them
			(<code>hookline.*</code>, or one type such as <code>hookline.webhook.disabled</code>); an event about a webhook is
			never sent to that webhook itself.
		</p>
		<label for="alerts-url">URL for the alerts</label>
		<div class="actions">
			<input id="alerts-url" name="url" type="url" required value={url} placeholder="https://…" />
			<button type="submit">Create alerts webhook</button>
		</div>
		<FieldError errors={errors} name="url" />
	</form>
);

export const alertsWebhookPage = new Hono<WebEnv>().post("/webhooks/alerts", async (c) => {
	const form: FormBody = await c.req.parseBody();
	const url = typeof form.url === "string" ? form.url.trim() : "";
	const created = await c.get("api").createWebhook({ name: ALERTS_NAME, eventTypes: ALERTS_EVENT_TYPES, url });
	if (created.ok) return secretPage(c, created.body, created.body.secret, "Alerts webhook created");
	return page(
		c,
		"Alerts webhook",
		<>
			<h1>Alerts webhook</h1>
			<div class="alert bad" role="alert">
				{created.problem.detail ?? "The alerts webhook was not created."}
			</div>
			<AlertsForm base={c.get("base")} csrf={c.get("session").csrf} url={url} errors={errorsByField(created.problem)} />
		</>,
		400,
	);
});
