// Wires the worker's handlers; the logic lives in the modules they name.
import { app } from "./app";
import { handleDeliveries } from "./delivery/consumer";
import type { DeliveryMessage } from "./delivery/message";

export default {
	fetch: app.fetch,
	queue: (batch, env) => handleDeliveries(batch as MessageBatch<DeliveryMessage>, env),
} satisfies ExportedHandler<Env, DeliveryMessage>;
