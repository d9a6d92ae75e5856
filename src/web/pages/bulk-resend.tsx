// Bulk re-send: a confirmation page that states how many notifications the
// re-send will move (the API's dry run, so the count shown is the count moved),
// then POST …/notifications/resend with the same filter.
import { Hono } from "hono";
import { MAX_BULK_RESEND } from "../../history/resend";
import { Csrf } from "../components/layout";
import { bulkFilterOf, bulkStatusOf, filterOf } from "../forms/history-filter";
import { fieldOf } from "../forms/posted";
import { problemText } from "../forms/problem";
import { queryOf } from "../query";
import { page, type WebEnv } from "../render";

/** What the confirmation asks, by how many the re-send would move. */
const question = (n: number, status: string) =>
	n === 0
		? `No ${status} notification of an enabled webhook matches this filter.`
		: `Re-send ${n} ${status} notification${n === 1 ? "" : "s"}${
				// The API counts at most one run's worth; reaching it means there may be more.
				n >= MAX_BULK_RESEND ? ` (${MAX_BULK_RESEND.toLocaleString("en")} per run; run it again for the rest)` : ""
			}? Each gets a fresh series of attempts with the stored request and the same idempotency key.`;

export const bulkResendPage = new Hono<WebEnv>()
	.get("/notifications/resend", async (c) => {
		const filter = bulkFilterOf(filterOf(c.req.query()));
		const base = c.get("base");
		const counted = await c.get("api").countResendable(filter);
		const n = counted.ok ? counted.body.count : 0;
		return page(
			c,
			"Re-send",
			<>
				<h1>Re-send {filter.status} notifications</h1>
				<form method="post" action={`${base}/notifications/resend`} class="card">
					<Csrf token={c.get("session").csrf} />
					{Object.entries(filter).map(([k, v]) => (v ? <input type="hidden" name={k} value={v} /> : null))}
					{!counted.ok && <div class="alert bad">{problemText(counted.problem).join("; ")}</div>}
					<p id="resend-count">{question(n, filter.status)}</p>
					<div class="actions">
						{n > 0 && <button type="submit">Re-send {n}</button>}
						<a href={`${base}/notifications?${queryOf(filter)}`}>Back</a>
					</div>
				</form>
			</>,
		);
	})
	.post("/notifications/resend", async (c) => {
		// The hidden fields go to the API as posted, so a changed one is refused there, not widened here.
		const field = fieldOf(await c.req.parseBody());
		const result = await c.get("api").resendMatching({
			status: bulkStatusOf(field("status")),
			webhookId: field("webhookId") || undefined,
			eventType: field("eventType") || undefined,
			since: field("since") || undefined,
			until: field("until") || undefined,
		});
		const message = result.ok ? `${result.body.count} re-sent.` : `Failed: ${problemText(result.problem).join("; ")}`;
		return page(
			c,
			"Re-send",
			<>
				<h1>Re-send</h1>
				<div class={`alert ${result.ok ? "good" : "bad"}`}>{message}</div>
				<a href={`${c.get("base")}/notifications`}>Back to the history</a>
			</>,
		);
	});
