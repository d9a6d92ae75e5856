// The outcome of the last action, carried by its redirect: `?ok=<action>`
// shows that action's fixed message (so the address cannot put words on the
// page), `?err=` the API's problem after "Failed:".
import type { FC } from "hono/jsx";

const MESSAGES: Record<string, string> = {
	saved: "Saved.",
	test: "Test event sent; see the history.",
	enabled:
		"Enabled. Notifications skipped while it was disabled: filter the history by status skipped to re-send them.",
	disabled: "Disabled.",
	resent: "Re-sent: a new series of attempts started.",
	"tenant-created": "Tenant created.",
	"tenant-deleted": "Tenant deleted: its keys stop working and its deliveries stop within 10 seconds.",
	revoked: "Key revoked: it stops working within 10 seconds.",
};

export const Flash: FC<{ ok: string | undefined; err: string | undefined }> = ({ ok, err }) => {
	const message = MESSAGES[ok ?? ""];
	if (message) return <div class="alert good">{message}</div>;
	if (err) return <div class="alert bad">Failed: {err}</div>;
	return null;
};
