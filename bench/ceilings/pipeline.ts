// Ceiling for end-to-end latency: the least a durable, queue-driven delivery
// can be on this runtime. A POST stores its body in D1 and enqueues its id,
// then answers 202; the consumer reads a batch's rows back in one query and
// sends each to the receiver with one fetch. No signing, no gate, no history:
// what is left of Hookline's path when everything of its own is taken out.
type PipelineEnv = { DB: D1Database; QUEUE: Queue<{ id: string }>; TARGET_URL: string };

export default {
	fetch: async (request, env) => {
		const body = await request.text();
		const id = crypto.randomUUID();
		await env.DB.batch([
			env.DB.prepare("CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, body TEXT NOT NULL)"),
			env.DB.prepare("INSERT INTO events (id, body) VALUES (?, ?)").bind(id, body),
		]);
		await env.QUEUE.send({ id });
		return Response.json({ id }, { status: 202 });
	},
	queue: async (batch, env) => {
		const ids = batch.messages.map((m) => m.body.id);
		const { results } = await env.DB.prepare(
			`SELECT id, body FROM events WHERE id IN (${ids.map(() => "?").join(", ")})`,
		)
			.bind(...ids)
			.all<{ id: string; body: string }>();
		await Promise.all(
			results.map(async (row) => {
				const res = await fetch(env.TARGET_URL, {
					method: "POST",
					headers: { "content-type": "application/json", "x-notifications-idempotency-key": row.id },
					body: row.body,
				});
				await res.arrayBuffer();
			}),
		);
		batch.ackAll();
	},
} satisfies ExportedHandler<PipelineEnv, { id: string }>;
