// A stream cursor: opaque to clients, it names its subscription and a place
// (a seq) in the tenant's event log, so a cursor of one subscription can never
// be committed to another.
import { cursorText, encodeCursor } from "../http/pagination";
import { validationProblem } from "../http/problem";

const SHAPE = /^(sub_[0-9A-Z]{26})\.(\d{1,15})$/;

/** The cursor of a batch: everything of the log up to `seq` has been streamed. */
export const streamCursor = (subscriptionId: string, seq: number) => encodeCursor(`${subscriptionId}.${seq}`);

/** The seq a cursor of `subscriptionId` holds, or a 400 naming `cursor`. */
export const seqOfCursor = (cursor: string, subscriptionId: string): number => {
	const parts = SHAPE.exec(cursorText(cursor));
	if (!parts)
		throw validationProblem([{ path: "cursor", message: "must be a cursor from this subscription's stream" }]);
	if (parts[1] !== subscriptionId)
		throw validationProblem([{ path: "cursor", message: "belongs to another subscription" }]);
	return Number(parts[2]);
};
