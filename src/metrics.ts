// What the service spends, in production terms: queue messages, Durable
// Object calls and D1 statements. Counted in this isolate since it started;
// `npm run bench` reads them to report the cost per delivery. Production
// bills are the authority; these exist so a local run can be measured.
const counters = {
	queueSendCalls: 0,
	queueMessagesSent: 0,
	queueMessagesHandled: 0,
	/** Consumer invocations (so messages per batch = queueMessagesHandled / this). */
	queueBatches: 0,
	gateCalls: 0,
	d1Reads: 0,
	/** Written by ingest (events, notifications, idempotency keys). */
	d1IngestWriteStatements: 0,
	/** Written by delivery (attempts, notification status). */
	d1DeliveryWriteStatements: 0,
	d1Batches: 0,
	/** Ingests written by a group-commit round (so ingests per D1 batch = this / rounds). */
	d1GroupedIngests: 0,
	d1IngestRounds: 0,
	attempts: 0,
	delivered: 0,
	eventsIngested: 0,
	/** Catalog reads for keys and tenants (cached per isolate, so not one per request). */
	catalogReads: 0,
};

export type Counter = keyof typeof counters;

export const count = (name: Counter, by = 1) => {
	counters[name] += by;
};

export const metrics = () => ({ ...counters });
