// The dead-letter queue's consumer: messages the deliveries consumer could not
// handle at all. Their notifications end `failed`, with the reason.

import { asStatement } from "../db";
import { shardEnv } from "../db/shards";
import { isFinal } from "../history/status";
import { fail } from "../history/transitions";
import { type DeliveryMessage, shardOfMessage } from "../queue/messages";
import { loadAll } from "./load";

const REASON = "dead-lettered: the delivery message kept failing inside Hookline; see the worker logs";

export const handleDeadLetters = async (batch: MessageBatch<DeliveryMessage>, worker: Env) => {
	for (const message of batch.messages) {
		const body = message.body;
		if ("fanOut" in body) {
			// Nothing was attempted for these yet: the sweeper re-enqueues them once overdue.
			message.ack();
			continue;
		}
		try {
			const env = shardEnv(worker, shardOfMessage(body));
			const loaded = await loadAll(env, [body.notificationId]);
			const writes = [...loaded.values()]
				.filter(({ notification: n }) => !isFinal(n.status))
				// In the message's series only: a late dead letter never fails a newer (manual) series.
				.map(({ notification: n }) =>
					asStatement(env, fail(env, { id: n.id, series: body.series ?? n.series }, REASON)),
				);
			if (writes.length > 0) await env.DB.batch(writes);
			message.ack();
		} catch (err) {
			console.error(JSON.stringify({ msg: "dead letter error", body, error: String(err) }));
			message.retry({ delaySeconds: 60 });
		}
	}
};
