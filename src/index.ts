// Wires the worker's handlers; the logic lives in the modules they name.
import { app } from "./app";
import { BAD_SETTINGS_RETRY_SECONDS, settingsProblem } from "./config";
import { handleDeliveries } from "./delivery/consumer";
import { handleDeadLetters } from "./delivery/dead-letters";
import { sweep } from "./history/sweeper";
import type { DeliveryMessage } from "./queue/messages";

export { EndpointGate } from "./gate";

export default {
	fetch: app.fetch,
	queue: async (batch, env, ctx) => {
		const problem = settingsProblem(env);
		if (problem) {
			// Nothing is delivered (or dead-lettered) on a guessed setting; no attempt is spent.
			console.error(JSON.stringify({ msg: "queue batch refused", queue: batch.queue, error: problem.message }));
			batch.retryAll({ delaySeconds: BAD_SETTINGS_RETRY_SECONDS });
			return;
		}
		await (batch.queue.endsWith("-dlq")
			? handleDeadLetters(batch as MessageBatch<DeliveryMessage>, env)
			: handleDeliveries(batch as MessageBatch<DeliveryMessage>, env, ctx));
	},
	scheduled: async (_controller, env) => {
		const problem = settingsProblem(env);
		// The run fails, with the reason in the log; the next minute's run tries again.
		if (problem) throw new Error(problem.message);
		await sweep(env);
	},
} satisfies ExportedHandler<Env, DeliveryMessage>;
