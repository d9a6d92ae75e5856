// /v1/webhooks: every webhook route, by concern, behind the admin token.
import { bearerAuth } from "../../http/auth";
import { newRouter } from "../../http/router";
import { crudRoutes } from "./crud";
import { healthRoutes } from "./health";
import { secretRoutes } from "./secret";
import { trialRoutes } from "./trial";

export const webhookRoutes = newRouter();
webhookRoutes.use("*", bearerAuth({ allow: ["admin"] }));
webhookRoutes.route("/", trialRoutes);
webhookRoutes.route("/", crudRoutes);
webhookRoutes.route("/", secretRoutes);
webhookRoutes.route("/", healthRoutes);
