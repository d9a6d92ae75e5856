// Wires the worker's handlers; the logic lives in the modules they name.
import { app } from "./app";
import { handleDeliveries } from "./delivery/consumer";
import { handleDeadLetters } from "./delivery/dead-letters";
import { sweep } from "./history/sweeper";
import type { DeliveryMessage } from "./queue/messages";

export { EndpointGate } from "./gate";

export default {
	fetch: app.fetch,
	queue: (batch, env) =>
		batch.queue.endsWith("-dlq")
			? handleDeadLetters(batch as MessageBatch<DeliveryMessage>, env)
			: handleDeliveries(batch as MessageBatch<DeliveryMessage>, env),
	scheduled: async (_controller, env) => {
		await sweep(env);
	},
} satisfies ExportedHandler<Env, DeliveryMessage>;
