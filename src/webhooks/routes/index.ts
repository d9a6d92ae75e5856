// /v1/webhooks (and /v1/tenants/{tenantId}/webhooks): every webhook route, by
// concern; reads need the read scope, changes the manage scope.
import { authorize } from "../../access/authorize";
import { newRouter } from "../../http/router";
import { crudRoutes } from "./crud";
import { healthRoutes } from "./health";
import { replayRoutes } from "./replay";
import { secretRoutes } from "./secret";
import { trialRoutes } from "./trial";

export const webhookRoutes = newRouter();
webhookRoutes.use("*", authorize());
webhookRoutes.route("/", trialRoutes);
webhookRoutes.route("/", crudRoutes);
webhookRoutes.route("/", secretRoutes);
webhookRoutes.route("/", healthRoutes);
webhookRoutes.route("/", replayRoutes);
