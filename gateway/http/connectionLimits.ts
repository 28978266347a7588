import type { Server } from "node:http";
import type { Socket } from "node:net";

/**
 * Timeouts that keep slow or silent clients (slowloris, a half-open tablet connection) from holding
 * sockets: the whole header within 10 s, the whole request within 30 s, an idle keep-alive
 * connection closed after 5 s, any socket idle for 60 s closed. Node checks them every second.
 */
export const HTTP_TIMEOUTS = { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000, connectionTimeout: 60_000, connectionsCheckingInterval: 1_000 } as const;

/**
 * At most `max` open connections from one address (0: no cap); more are closed at once, before a
 * byte is read. Behind a reverse proxy every connection comes from the proxy: raise the cap there.
 */
export function capConnectionsPerAddress(server: Server, max: number): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  server.on("connection", (socket: Socket) => {
    const address = socket.remoteAddress ?? "";
    const count = open.get(address) ?? 0;
    if (count >= max) return void socket.destroy();
    open.set(address, count + 1);
    socket.once("close", () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}
