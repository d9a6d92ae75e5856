// The dead-letter queue's consumer: messages the deliveries consumer could not
// handle at all. Their notifications end `failed`, with the reason, and say so
// with hookline.notification.failed.

import { asStatement } from "../db";
import { shardEnv } from "../db/shards";
import { isFinal } from "../history/status";
import { fail, failApplies } from "../history/transitions";
import { type Emission, enqueueEmitted } from "../ops-events/emit";
import { notificationFailed } from "../ops-events/notification-failed";
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
			const emitted: Emission[] = [];
			const writes: D1PreparedStatement[] = [];
			for (const { notification: n, webhook } of loaded.values()) {
				if (isFinal(n.status)) continue;
				// In the message's series only: a late dead letter never fails a newer (manual) series.
				const series = { id: n.id, series: body.series ?? n.series };
				const event =
					webhook &&
					(await notificationFailed(
						env,
						{ ...n, series: series.series },
						webhook,
						{
							reason: "dead_lettered",
							attempts: n.attemptCount,
							lastError: n.lastError,
							lastErrorKind: null,
							lastStatusCode: null,
						},
						failApplies(series),
					));
				if (event) emitted.push(event);
				writes.push(...(event?.statements ?? []), asStatement(env, fail(env, series, REASON)));
			}
			if (writes.length > 0) await env.DB.batch(writes);
			await enqueueEmitted(env, emitted);
			message.ack();
		} catch (err) {
			console.error(JSON.stringify({ msg: "dead letter error", body, error: String(err) }));
			message.retry({ delaySeconds: 60 });
		}
	}
};
