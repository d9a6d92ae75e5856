// For `npm run bench:calls`: each path makes exactly one call of one kind, so
// the runtime's cost of that kind of call shows as the difference to "/".
import { DurableObject } from "cloudflare:workers";

type CallsEnv = {
	DB: D1Database;
	QUEUE: Queue;
	OBJECT: DurableObjectNamespace<Probe>;
	TARGET_URL: string;
};

export class Probe extends DurableObject {
	async echo(value: unknown) {
		return value;
	}
}

export default {
	fetch: async (request, env) => {
		await request.arrayBuffer();
		switch (new URL(request.url).pathname) {
			case "/d1-read":
				await env.DB.prepare("SELECT 1 AS one").all();
				break;
			case "/d1-write":
				await env.DB.batch([
					env.DB.prepare("CREATE TABLE IF NOT EXISTS t (at INTEGER)"),
					env.DB.prepare("INSERT INTO t VALUES (?)").bind(Date.now()),
				]);
				break;
			case "/queue":
				await env.QUEUE.send({ at: Date.now() });
				break;
			case "/durable-object":
				await env.OBJECT.get(env.OBJECT.idFromName("probe")).echo({ at: Date.now() });
				break;
			case "/fetch":
				await (await fetch(env.TARGET_URL)).arrayBuffer();
				break;
		}
		return new Response(null, { status: 202 });
	},
	// The queue path's cost includes handing the message to a consumer.
	queue: async (batch) => {
		batch.ackAll();
	},
} satisfies ExportedHandler<CallsEnv>;
