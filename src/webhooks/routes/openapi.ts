// What every webhook route shares in the OpenAPI document.
import { IdParam } from "../../http/router";

export const tags = ["webhooks"];
export const security = [{ bearer: [] }];
export const Params = IdParam("webhook id", "wh_01JD0Z4N6V7W8X9Y0Z1A2B3C4D");
