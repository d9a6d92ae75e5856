// What every webhook route shares in the OpenAPI document.
import { IdParam } from "../../http/router";

export const tags = ["webhooks"];
/** The scope each route needs, as the OpenAPI document states it: reads `read`, changes `manage`. */
export const readSecurity = [{ bearer: ["read"] }];
export const manageSecurity = [{ bearer: ["manage"] }];
export const Params = IdParam("webhook id", "wh_01JD0Z4N6V7W8X9Y0Z1A2B3C4D");
