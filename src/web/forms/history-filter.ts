// The history filter as the console's address carries it (webhookId, status,
// eventType, since, until), so a filtered page can be bookmarked; the API's
// filter builder (src/history/filter.ts) turns it into one WHERE clause for the
// list, the bulk re-send and its count alike.
import { Notification } from "../../history/schema";
import type { RESENDABLE } from "../../history/status";
import { utcTimeOf } from "./utc-time";

/** Every notification status, as the API names them. */
export const STATUSES = Notification.shape.status.options;
type Status = (typeof STATUSES)[number];

/** The statuses the console offers to re-send in bulk; other ones go through the API. */
const BULK_STATUSES = ["failed", "skipped"] as const satisfies readonly (typeof RESENDABLE)[number][];
type BulkStatus = (typeof BULK_STATUSES)[number];

const isStatus = (value: string | undefined): value is Status => (STATUSES as readonly string[]).includes(value ?? "");
const isBulkStatus = (value: string | undefined): value is BulkStatus =>
	(BULK_STATUSES as readonly string[]).includes(value ?? "");

/** The filter from a query string or a posted form; empty fields and unknown statuses mean no condition. */
export const filterOf = (params: Record<string, unknown>) => {
	const q = (name: string) => {
		const v = params[name];
		return typeof v === "string" && v.trim() ? v.trim() : undefined;
	};
	const status = q("status");
	return {
		webhookId: q("webhookId"),
		status: isStatus(status) ? status : undefined,
		eventType: q("eventType"),
		// A time that does not parse is no bound.
		since: utcTimeOf(q("since")),
		until: utcTimeOf(q("until")),
	};
};

export type HistoryFilterValues = ReturnType<typeof filterOf>;

/** A bulk re-send's status: the one asked for if the console offers it, else `failed` (the API's default). */
export const bulkStatusOf = (status: string | undefined): BulkStatus => (isBulkStatus(status) ? status : "failed");

/** The filter a bulk re-send runs with. */
export const bulkFilterOf = (filter: HistoryFilterValues) => ({ ...filter, status: bulkStatusOf(filter.status) });
