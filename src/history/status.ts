// The notification statuses grouped by what the rules ask of them. Every rule
// that names a set of statuses takes it from here.
import type { NotificationStatus } from "../db/schema";

/** Still on its way: the consumer, the sweeper and a webhook's deletion act on these. */
export const OPEN = ["pending", "retrying", "paused"] as const satisfies readonly NotificationStatus[];

/** Done with: nothing sends these again unless someone re-sends them; retention may purge them. */
export const FINAL = ["delivered", "failed", "skipped"] as const satisfies readonly NotificationStatus[];

/** What a manual re-send may start from: anything but a notification about to be sent (`pending`). */
export const RESENDABLE = [
	"failed",
	"skipped",
	"delivered",
	"retrying",
	"paused",
] as const satisfies readonly NotificationStatus[];

/** What a webhook's health shows as waiting for it. */
export const BACKLOG = ["pending", "retrying", "paused", "skipped"] as const satisfies readonly NotificationStatus[];

export const isFinal = (status: NotificationStatus) => (FINAL as readonly NotificationStatus[]).includes(status);
