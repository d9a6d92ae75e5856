// The webhook list: newest first, 50 a page, each with its state, its circuit
// and success rate (the API's health summary) and its 24-hour chart; under it,
// the one-step alerts webhook (./alerts-webhook.tsx).
import type { z } from "@hono/zod-openapi";
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import type { WebhookListed } from "../../webhooks/schema";
import { Chart } from "../components/chart";
import { Badge, percent } from "../components/status";
import { type Hourly, hourlyAttempts } from "../gate-chart";
import { canChange, page, type WebEnv } from "../render";
import { AlertsForm } from "./alerts-webhook";

const PAGE_SIZE = 50;

const WebhookRow: FC<{ webhook: z.infer<typeof WebhookListed>; hourly: Hourly; base: string }> = ({
	webhook: w,
	hourly,
	base,
}) => (
	<tr>
		<td>
			<a href={`${base}/webhooks/${w.id}`}>{w.name}</a>
		</td>
		<td class="optional">
			<code>{w.url}</code>
		</td>
		<td class="optional">{w.eventTypes.join(", ")}</td>
		<td>
			<Badge value={w.enabled ? "enabled" : "disabled"} />
		</td>
		{/* The API's summary is null when the webhook's gate could not answer. */}
		<td>{w.health ? <Badge value={w.health.circuit} /> : "—"}</td>
		<td>{percent(w.health?.successRateLastHour)}</td>
		<td class="optional">
			<Chart hourly={hourly} />
		</td>
	</tr>
);

export const webhookListPage = new Hono<WebEnv>().get("/webhooks", async (c) => {
	const list = await c.get("api").listWebhooks({ limit: PAGE_SIZE, health: true, cursor: c.req.query("cursor") });
	if (!list.ok) throw new Error(`GET …/webhooks answered ${list.status}`);
	const { data, nextCursor } = list.body;
	const base = c.get("base");
	const charts = await Promise.all(data.map((w) => hourlyAttempts(c.env, w.id)));
	return page(
		c,
		"Webhooks",
		<>
			<div class="actions">
				<h1>Webhooks</h1>
				{canChange(c) && <a href={`${base}/webhooks/new`}>New webhook</a>}
			</div>
			<div class="scroll">
				<table>
					<thead>
						<tr>
							<th>Name</th>
							<th class="optional">URL</th>
							<th class="optional">Event types</th>
							<th>State</th>
							<th>Circuit</th>
							<th>Success (1 h)</th>
							<th class="optional">Last 24 h</th>
						</tr>
					</thead>
					<tbody>
						{data.map((w, i) => (
							<WebhookRow webhook={w} hourly={charts[i] ?? []} base={base} />
						))}
					</tbody>
				</table>
			</div>
			{data.length === 0 && <p class="muted">No webhooks yet.</p>}
			{nextCursor && (
				<p>
					<a href={`${base}/webhooks?cursor=${encodeURIComponent(nextCursor)}`}>Next page</a>
				</p>
			)}
			{canChange(c) && <AlertsForm base={base} csrf={c.get("session").csrf} />}
		</>,
	);
});
