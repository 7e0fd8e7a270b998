import type { HttpReply } from './http.js';
import { statusLine } from './http.js';
import type { HttpResponse } from './uws.js';

/** Writes a plain HTTP reply to uWS's response: status, Content-Type, its headers, the body (the caller corks when it writes from outside uWS's callback). */
export function writeReply(res: HttpResponse, reply: HttpReply): void {
  res.writeStatus(statusLine(reply.status)).writeHeader('Content-Type', reply.contentType);
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.writeHeader(k, v);
  res.end(reply.body);
}
