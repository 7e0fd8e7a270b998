import { Packr } from 'msgpackr';

/** How the Redis store writes values: plain MessagePack (no records, no extension types). */
const packr = new Packr({ useRecords: false, moreTypes: false });

export const encode = (v: unknown): Buffer => packr.pack(v);
export const decode = <T>(b: Buffer): T => packr.unpack(b) as T;
