// A webhook's page: its state and endpoint health (GET …/webhooks/:id/health),
// its actions (history, test event, enable or disable, rotate the secret,
// delete), and its settings form, saved with PATCH …/webhooks/:id. A read-only
// portal session sees the state, the history link and the settings, disabled.
import { Hono } from "hono";
import type { Child, FC } from "hono/jsx";
import type { WebhookHealth } from "../../webhooks/health-schema";
import type { Webhook } from "../../webhooks/schema";
import type { FieldErrors } from "../components/fields";
import { Flash } from "../components/flash";
import { Csrf } from "../components/layout";
import { Badge, percent, When } from "../components/status";
import { WebhookForm } from "../components/webhook-form";
import { errorsByField } from "../forms/problem";
import { fromForm, valuesOf, type WebhookDraft } from "../forms/webhook";
import { canChange, notFound, page, redirectWithOutcome, type WebContext, type WebEnv } from "../render";
import { secretPage } from "./webhook-secret";

const pathOf = (c: WebContext, id: string) => `${c.get("base")}/webhooks/${encodeURIComponent(id)}`;

/** The last hour and the paused backlog, as the API's health answer has them. */
const HealthLine: FC<{ health: WebhookHealth }> = ({ health }) => (
	<p class="muted">
		Last hour: {health.lastHour.attempts} attempts, {percent(health.lastHour.successRate)} succeeded, p50{" "}
		{health.lastHour.latencyMs.p50 ?? "—"} ms. Last success <When at={health.lastSuccessAt} />, last failure{" "}
		<When at={health.lastFailureAt} />
		{health.lastError ? ` (${health.lastError})` : ""}. Paused: {health.backlog.paused}.
	</p>
);

/** One action button, posted with the session's CSRF token. */
const ActionButton: FC<{ action: string; csrf: string; label: string }> = ({ action, csrf, label }) => (
	<form method="post" action={action}>
		<Csrf token={csrf} />
		<button type="submit" class="secondary">
			{label}
		</button>
	</form>
);

/** `csrf` absent: a read-only page, whose only action is the history. */
const Summary: FC<{ webhook: Webhook; health: WebhookHealth | undefined; csrf: string | undefined; base: string }> = ({
	webhook,
	health,
	csrf,
	base,
}) => (
	<div class="card">
		<p>
			<Badge value={webhook.enabled ? "enabled" : "disabled"} /> {health && <Badge value={health.circuit.state} />}{" "}
			<code>{webhook.id}</code>
		</p>
		{webhook.disabledReason && (
			<p>
				Disabled: {webhook.disabledReason} (<When at={webhook.disabledAt} />)
			</p>
		)}
		{health && <HealthLine health={health} />}
		{webhook.region && (
			<p class="muted" id="webhook-region">
				Sends from region <code>{webhook.region}</code>
				{webhook.regionInherited ? " (its tenant's)" : ""}: see <a href={`${base}/sender-ips`}>Sender IPs</a>.
			</p>
		)}
		<div class="actions">
			<a href={`${base}/notifications?webhookId=${webhook.id}`}>History</a>
			{csrf && (
				<>
					<ActionButton action={`${base}/webhooks/${webhook.id}/test`} csrf={csrf} label="Send test event" />
					<ActionButton
						action={`${base}/webhooks/${webhook.id}/${webhook.enabled ? "disable" : "enable"}`}
						csrf={csrf}
						label={webhook.enabled ? "Disable" : "Enable"}
					/>
					<ActionButton action={`${base}/webhooks/${webhook.id}/rotate`} csrf={csrf} label="Rotate secret" />
					<a href={`${base}/webhooks/${webhook.id}/delete`}>Delete…</a>
				</>
			)}
		</div>
	</div>
);

type WebhookPageProps = {
	webhook: Webhook;
	health: WebhookHealth | undefined;
	csrf: string;
	/** Show everything, offer no change. */
	readOnly: boolean;
	base: string;
	/** What the operator typed, when the API refused it; else the stored settings. */
	values?: WebhookDraft;
	errors?: FieldErrors;
	notice?: Child;
};

const WebhookPage: FC<WebhookPageProps> = ({ webhook, health, csrf, readOnly, base, values, errors = {}, notice }) => (
	<>
		<h1>{webhook.name}</h1>
		{notice}
		<Summary webhook={webhook} health={health} csrf={readOnly ? undefined : csrf} base={base} />
		<h2>Settings</h2>
		<WebhookForm
			action={`${base}/webhooks/${webhook.id}`}
			base={base}
			values={values ?? valuesOf(webhook)}
			errors={errors}
			csrf={csrf}
			readOnly={readOnly}
			id={webhook.id}
			sample={JSON.stringify({ type: webhook.eventTypes.find((t) => !t.includes("*")) ?? "sample.event", data: {} })}
		/>
	</>
);

const findWebhook = async (c: WebContext) => {
	const found = await c.get("api").webhook(c.req.param("id") ?? "");
	return found.ok ? found.body : undefined;
};

/** The webhook's health, or nothing when its gate could not answer. */
const healthOf = async (c: WebContext, id: string) => {
	const answer = await c.get("api").webhookHealth(id);
	return answer.ok ? answer.body : undefined;
};

export const webhookDetailPage = new Hono<WebEnv>()
	.get("/webhooks/:id", async (c) => {
		const webhook = await findWebhook(c);
		if (!webhook) return notFound(c, "This webhook");
		return page(
			c,
			webhook.name,
			<WebhookPage
				webhook={webhook}
				health={await healthOf(c, webhook.id)}
				csrf={c.get("session").csrf}
				readOnly={!canChange(c)}
				base={c.get("base")}
				notice={<Flash ok={c.req.query("ok")} err={c.req.query("err")} />}
			/>,
		);
	})
	.post("/webhooks/:id", async (c) => {
		const webhook = await findWebhook(c);
		if (!webhook) return notFound(c, "This webhook");
		const values = fromForm(await c.req.parseBody());
		const saved = await c.get("api").changeWebhook(webhook.id, values);
		if (saved.ok) return c.redirect(`${pathOf(c, webhook.id)}?ok=saved`, 303);
		return page(
			c,
			webhook.name,
			<WebhookPage
				webhook={webhook}
				health={await healthOf(c, webhook.id)}
				csrf={c.get("session").csrf}
				readOnly={!canChange(c)}
				base={c.get("base")}
				values={values}
				errors={errorsByField(saved.problem)}
				notice={<div class="alert bad">{saved.problem.detail ?? "Not saved."}</div>}
			/>,
			400,
		);
	})
	.post("/webhooks/:id/test", async (c) => {
		const id = c.req.param("id");
		return redirectWithOutcome(c, pathOf(c, id), await c.get("api").sendTestEvent(id), "test");
	})
	.post("/webhooks/:id/enable", async (c) => {
		const id = c.req.param("id");
		// Skipped notifications are re-sent from the history, where the operator sees which.
		const enabled = await c.get("api").enableWebhook(id, { resendSkipped: false });
		return redirectWithOutcome(c, pathOf(c, id), enabled, "enabled");
	})
	.post("/webhooks/:id/disable", async (c) => {
		const id = c.req.param("id");
		return redirectWithOutcome(c, pathOf(c, id), await c.get("api").changeWebhook(id, { enabled: false }), "disabled");
	})
	.post("/webhooks/:id/rotate", async (c) => {
		const webhook = await findWebhook(c);
		if (!webhook) return notFound(c, "This webhook");
		const rotated = await c.get("api").rotateSecret(webhook.id);
		if (!rotated.ok) return redirectWithOutcome(c, pathOf(c, webhook.id), rotated, "rotated");
		return secretPage(c, webhook, rotated.body.secret, "Secret rotated");
	});
