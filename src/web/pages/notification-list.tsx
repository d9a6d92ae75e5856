// The communication history: notifications newest first, 50 a page, filtered
// by webhook, status, event type and a creation-time range in UTC; the filter
// lives in the address. Links lead to the bulk re-send of what it matches.
import type { z } from "@hono/zod-openapi";
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import type { Notification } from "../../history/schema";
import { isOperational, OPERATIONAL_TYPES } from "../../ops-events/types";
import { Badge, When } from "../components/status";
import { filterOf, type HistoryFilterValues, STATUSES } from "../forms/history-filter";
import { problemText } from "../forms/problem";
import { localInput } from "../forms/utc-time";
import { queryOf } from "../query";
import { canChange, page, type WebEnv } from "../render";

const PAGE_SIZE = 50;
/** The webhook menu lists this many, newest first (the API's largest page). */
const MENU_SIZE = 200;

const FilterForm: FC<{ filter: HistoryFilterValues; webhooks: { id: string; name: string }[]; base: string }> = ({
	filter,
	webhooks,
	base,
}) => (
	<form method="get" action={`${base}/notifications`} class="filters card">
		<div>
			<label for="webhookId">Webhook</label>
			<select id="webhookId" name="webhookId">
				<option value="">All</option>
				{/* A webhook beyond the menu (or deleted) stays selectable by its id. */}
				{filter.webhookId && !webhooks.some((w) => w.id === filter.webhookId) && (
					<option value={filter.webhookId} selected>
						{filter.webhookId}
					</option>
				)}
				{webhooks.map((w) => (
					<option value={w.id} selected={filter.webhookId === w.id}>
						{w.name}
					</option>
				))}
			</select>
		</div>
		<div>
			<label for="status">Status</label>
			<select id="status" name="status">
				<option value="">All</option>
				{STATUSES.map((s) => (
					<option value={s} selected={filter.status === s}>
						{s}
					</option>
				))}
			</select>
		</div>
		<div>
			<label for="eventType">Event type</label>
			<input id="eventType" name="eventType" list="event-types" value={filter.eventType ?? ""} />
			{/* Suggestions: Hookline's own types, which a tenant did not post and may not know. */}
			<datalist id="event-types">
				{OPERATIONAL_TYPES.map((type) => (
					<option value={type} />
				))}
			</datalist>
		</div>
		<div>
			<label for="since">From (UTC)</label>
			<input id="since" name="since" type="datetime-local" value={localInput(filter.since)} />
		</div>
		<div>
			<label for="until">To (UTC)</label>
			<input id="until" name="until" type="datetime-local" value={localInput(filter.until)} />
		</div>
		<div>
			<button type="submit">Filter</button>
		</div>
	</form>
);

const BulkLinks: FC<{ filter: HistoryFilterValues; base: string }> = ({ filter, base }) => (
	<div class="actions">
		<a href={`${base}/notifications/resend?${queryOf({ ...filter, status: "failed" })}`}>
			Re-send the failed ones of this filter…
		</a>
		{filter.status === "skipped" && (
			<a href={`${base}/notifications/resend?${queryOf(filter)}`}>Re-send the skipped ones of this filter…</a>
		)}
	</div>
);

const HistoryTable: FC<{ rows: z.infer<typeof Notification>[]; names: Map<string, string>; base: string }> = ({
	rows,
	names,
	base,
}) => (
	<div class="scroll">
		<table>
			<thead>
				<tr>
					<th>Created</th>
					<th>Status</th>
					<th>Event type</th>
					<th class="optional">Webhook</th>
					<th>Attempts</th>
					<th class="optional">Last error</th>
				</tr>
			</thead>
			<tbody>
				{rows.map((n) => (
					<tr>
						<td>
							<a href={`${base}/notifications/${n.id}`}>
								<When at={n.createdAt} />
							</a>
						</td>
						<td>
							<Badge value={n.status} />
						</td>
						<td>
							{n.eventType}
							{isOperational(n.eventType) && (
								<>
									{" "}
									<span class="badge muted" title="An operational event: Hookline's own">
										Hookline
									</span>
								</>
							)}
						</td>
						<td class="optional">{names.get(n.webhookId) ?? n.webhookId}</td>
						<td>{n.attemptCount}</td>
						<td class="optional">{n.lastError ?? ""}</td>
					</tr>
				))}
			</tbody>
		</table>
	</div>
);

export const notificationListPage = new Hono<WebEnv>().get("/notifications", async (c) => {
	const filter = filterOf(c.req.query());
	const api = c.get("api");
	const base = c.get("base");
	const [list, menu] = await Promise.all([
		api.listNotifications({ ...filter, cursor: c.req.query("cursor"), limit: PAGE_SIZE }),
		// Names for the menu and the rows; no gate is asked.
		api.listWebhooks({ limit: MENU_SIZE, health: false }),
	]);
	const webhooks = menu.ok ? menu.body.data : [];
	const names = new Map(webhooks.map((w) => [w.id, w.name]));
	const rows = list.ok ? list.body.data : [];
	const nextCursor = list.ok ? list.body.nextCursor : null;
	return page(
		c,
		"History",
		<>
			<h1>Communication history</h1>
			<FilterForm filter={filter} webhooks={webhooks} base={base} />
			{!list.ok && <div class="alert bad">{problemText(list.problem).join("; ")}</div>}
			{canChange(c) && <BulkLinks filter={filter} base={base} />}
			{rows.some((n) => isOperational(n.eventType)) && (
				<p class="muted" id="operational-note">
					Event types starting with <code>hookline.</code> are Hookline's own operational events: what happened to your
					deliveries (a notification that failed for good, a circuit that opened or closed, a webhook disabled or
					enabled), sent to the webhooks that name them.
				</p>
			)}
			<HistoryTable rows={rows} names={names} base={base} />
			{list.ok && rows.length === 0 && <p class="muted">Nothing matches.</p>}
			{nextCursor && (
				<p>
					<a href={`${base}/notifications?${queryOf({ ...filter, cursor: nextCursor })}`}>Older</a>
				</p>
			)}
		</>,
	);
});
