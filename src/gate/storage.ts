// The bound on a gate's own storage, pure. A Durable Object holds at most
// 10 GB, and past that every write throws; the gate stops taking new work
// well before (GATE_STORAGE_LIMIT_MB, by default half of that), while its
// sweeps free space, and answers that the caller should come back later
// rather than fail.
import type { GateAnswer } from "./contract";

/** How long a caller turned away by a full gate waits before it comes back. */
export const FULL_RETRY_SECONDS = 60;

const mb = (bytes: number) => Math.round(bytes / 1024 ** 2);

/** The answer to a send that would add to a store at or above `limitBytes`; undefined while there is room. */
export const storageRefusal = (bytes: number, limitBytes: number): Extract<GateAnswer, { kind: "full" }> | undefined =>
	bytes < limitBytes
		? undefined
		: {
				kind: "full",
				retryInSeconds: FULL_RETRY_SECONDS,
				reason: `the endpoint gate's storage holds ${mb(bytes)} MB, at its bound of ${mb(limitBytes)} MB`,
			};
