// A notification's page: its status and series, the request as stored at
// send-out (bodies indented for reading), every attempt oldest first, and the
// Re-send button (POST …/notifications/:id/resend).
import type { z } from "@hono/zod-openapi";
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import type { NotificationDetail } from "../../history/schema";
import { pretty, requestText } from "../components/body";
import { Flash } from "../components/flash";
import { Csrf } from "../components/layout";
import { Badge, When } from "../components/status";
import { canChange, notFound, page, redirectWithOutcome, type WebEnv } from "../render";

type Detail = z.infer<typeof NotificationDetail>;

/** `csrf` absent: a read-only page, without the Re-send button. */
const Overview: FC<{ n: Detail; csrf: string | undefined; base: string }> = ({ n, csrf, base }) => (
	<div class="card">
		<p>
			<Badge value={n.status} /> {n.eventType} · event <code>{n.eventId}</code> · webhook{" "}
			<a href={`${base}/webhooks/${n.webhookId}`}>{n.webhookId}</a>
		</p>
		<p class="muted">
			Created <When at={n.createdAt} />; series {n.series} ({n.trigger}); {n.attemptCount} attempt
			{n.attemptCount === 1 ? "" : "s"} in this series
			{n.nextAttemptAt ? (
				<>
					; next <When at={n.nextAttemptAt} />
				</>
			) : null}
			{n.lastError ? `; last error: ${n.lastError}` : ""}
		</p>
		{csrf && (
			<form method="post" action={`${base}/notifications/${n.id}/resend`} class="actions">
				<Csrf token={csrf} />
				<button type="submit">Re-send</button>
			</form>
		)}
	</div>
);

const Attempts: FC<{ attempts: Detail["attempts"] }> = ({ attempts }) => (
	<>
		<ol class="timeline" id="attempts">
			{attempts.map((a) => (
				<li class={a.succeeded ? "ok" : "bad"}>
					<strong>
						#{a.number} (series {a.series}, {a.trigger})
					</strong>{" "}
					<When at={a.startedAt} /> · {a.durationMs} ms ·{" "}
					{a.statusCode !== null ? `HTTP ${a.statusCode}` : (a.errorKind ?? "")}
					{a.error && a.error !== `HTTP ${a.statusCode}` ? ` · ${a.error}` : ""}
					{a.responseExcerpt ? <pre>{a.responseExcerpt}</pre> : null}
				</li>
			))}
		</ol>
		{attempts.length === 0 && <p class="muted">No attempts yet.</p>}
	</>
);

export const notificationDetailPage = new Hono<WebEnv>()
	.get("/notifications/:id", async (c) => {
		const found = await c.get("api").notification(c.req.param("id"));
		if (!found.ok) return notFound(c, "This notification");
		const n = found.body;
		return page(
			c,
			`Notification ${n.id}`,
			<>
				<h1>
					Notification <code>{n.id}</code>
				</h1>
				<Flash ok={c.req.query("ok")} err={c.req.query("err")} />
				<Overview n={n} csrf={canChange(c) ? c.get("session").csrf : undefined} base={c.get("base")} />
				<h2>Request, as stored at send-out</h2>
				{n.request ? (
					<pre id="request">{requestText(n.request, pretty(n.request.body, n.request.headers["content-type"]))}</pre>
				) : (
					<p class="muted">Not sent yet: the request is computed and stored at the first send-out.</p>
				)}
				<h2>Attempts</h2>
				<Attempts attempts={n.attempts} />
			</>,
		);
	})
	.post("/notifications/:id/resend", async (c) => {
		const id = c.req.param("id");
		const result = await c.get("api").resendNotification(id);
		return redirectWithOutcome(c, `${c.get("base")}/notifications/${encodeURIComponent(id)}`, result, "resent");
	});
