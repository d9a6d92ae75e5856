// The pages that act for one tenant, shared by the operator console and the
// tenant portal; the console adds its own (the keys) after them.
import { Hono } from "hono";
import type { WebEnv } from "../render";
import { alertsWebhookPage } from "./alerts-webhook";
import { bulkResendPage } from "./bulk-resend";
import { notificationDetailPage } from "./notification-detail";
import { notificationListPage } from "./notification-list";
import { senderIpsPage } from "./sender-ips";
import { webhookDeletePage } from "./webhook-delete";
import { webhookDetailPage } from "./webhook-detail";
import { webhookFormPage } from "./webhook-form";
import { webhookListPage } from "./webhook-list";

/** One app of the tenant pages and `extra`; fixed paths before the `:id` ones they would otherwise match (/webhooks/new, /notifications/resend). */
export const tenantPagesApp = (extra: Hono<WebEnv>[] = []) => {
	const pages = new Hono<WebEnv>();
	for (const routes of [
		webhookListPage,
		webhookFormPage,
		alertsWebhookPage,
		webhookDeletePage,
		webhookDetailPage,
		notificationListPage,
		bulkResendPage,
		notificationDetailPage,
		senderIpsPage,
		...extra,
	])
		pages.route("/", routes);
	return pages;
};
