// Prefixed, time-sortable ids: the prefix tells what a string is, and the
// ULID sorts by creation time, which cursor pagination relies on.
import { monotonicFactory } from "ulid";

const ulid = monotonicFactory();

export type IdPrefix = "wh" | "evt" | "ntf" | "att" | "key" | "sub";

export const ulidOf = (now = Date.now()) => ulid(now);

export const newId = (prefix: IdPrefix, now = Date.now()) => `${prefix}_${ulid(now)}`;
