// Calls the worker makes to its own API, in-process, as a principal it has
// already established: the tenant portal acts as its session's tenant, never
// as the operator. The principal rides on the Request object itself, in a map
// only this module reads. A request from outside is a Request the runtime
// made, which this map never holds, so no header, cookie, token or body can
// claim a principal here; and a copy of a granted Request (new Request(r))
// is another object, which carries nothing.
import type { Principal } from "./principal";

const granted = new WeakMap<Request, Principal>();

/** `request`, to be answered as `principal` when the app itself fetches it. */
export const requestAs = (request: Request, principal: Principal) => {
	granted.set(request, principal);
	return request;
};

/** The principal this exact Request was made for in-process, if any. */
export const inProcessPrincipal = (request: Request): Principal | undefined => granted.get(request);
