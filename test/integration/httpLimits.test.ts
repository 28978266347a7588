import { mkdtempSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type Gateway } from "../../gateway/app.js";
import { configSchema } from "../../gateway/config/schema.js";
import { createLogger } from "../../gateway/log.js";
import { HTTP_TIMEOUTS } from "../../gateway/http/connectionLimits.js";
import { freePort } from "../helpers/ports.js";

/** A raw TCP connection that records what the server sends and when it closes. */
function open(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    let data = "";
    const started = Date.now();
    const socket = connect(port, "127.0.0.1");
    const closed = new Promise<number>((r) => socket.on("close", () => r(Date.now() - started)));
    socket.on("data", (d) => (data += d.toString()));
    socket.on("error", () => {});
    socket.once("connect", () => resolve({ socket, received: () => data, closed }));
    socket.once("error", reject);
  });
}

describe("HTTP: slow and greedy clients cannot hold the gateway's sockets", () => {
  let gateway: Gateway;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    const config = configSchema.parse({
      dataDir: mkdtempSync(join(tmpdir(), "wachter-http-")),
      http: { host: "127.0.0.1", port, maxConnectionsPerAddress: 5 },
      sources: [],
    });
    gateway = await startGateway(config, createLogger("fatal", false), { env: {} });
  });
  afterAll(async () => {
    await gateway.stop();
  });

  it("closes connections from one address beyond the cap at once, and accepts again when they end", async () => {
    const five = await Promise.all(Array.from({ length: 5 }, () => open(port)));
    const sixth = await open(port);
    expect(await sixth.closed).toBeLessThan(1000);
    expect(sixth.received()).toBe("");
    five[0].socket.destroy();
    await five[0].closed;
    await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    for (const c of five) c.socket.destroy();
    await Promise.all(five.map((c) => c.closed));
    await new Promise((r) => setTimeout(r, 100));
  });

  it("drops a client that never finishes its headers (slowloris) after the headers timeout", async () => {
    const slow = await open(port);
    slow.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    const trickle = setInterval(() => slow.socket.write("X-Slow: 1\r\n"), 1000);
    const after = await slow.closed;
    clearInterval(trickle);
    expect(after).toBeGreaterThanOrEqual(HTTP_TIMEOUTS.headersTimeout - 500);
    expect(after).toBeLessThan(HTTP_TIMEOUTS.headersTimeout + 3000);
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
  }, 20_000);

  it("closes an idle keep-alive connection after the keep-alive timeout", async () => {
    const idle = await open(port);
    idle.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const after = await idle.closed;
    expect(idle.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(after).toBeGreaterThanOrEqual(HTTP_TIMEOUTS.keepAliveTimeout - 500);
    expect(after).toBeLessThan(HTTP_TIMEOUTS.keepAliveTimeout + 3000);
  }, 20_000);
});
