import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FifoDevice } from "../helpers/fifoDevice.js";
import { API_TOKEN, GatewayProcess } from "../helpers/gateway.js";
import { freePort, waitFor } from "../helpers/ports.js";

function children(pid: number): number[] {
  try {
    return execFileSync("pgrep", ["-P", String(pid), "ffmpeg"], { encoding: "utf8" }).trim().split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("clean shutdown", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal} ends the gateway and every ffmpeg child within a few seconds`, async () => {
      const fifo = join(mkdtempSync(join(tmpdir(), "wachter-stop-")), "cam.y16");
      execFileSync("mkfifo", [fifo]);
      const camera = new FifoDevice(fifo, () => Buffer.alloc(160 * 120 * 2, 0x80));
      camera.start();
      const port = await freePort();
      const gw = new GatewayProcess({
        http: { host: "127.0.0.1", port },
        video: { idleStop: 60 },
        sources: [{ id: "lepton", type: "thermal-uvc", input: "rawvideo", device: fifo }],
      });
      await gw.start();
      const pid = gw.proc!.child.pid!;
      try {
        // Video is encoded on demand: a WHEP offer with a video m-line starts the encoder.
        const offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=recvonly\r\na=rtcp-mux\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99\r\na=setup:actpass\r\na=rtpmap:96 VP8/90000\r\n";
        const res = await fetch(`http://127.0.0.1:${port}/whep`, { method: "POST", headers: { Authorization: `Bearer ${API_TOKEN}`, "Content-Type": "application/sdp" }, body: offer });
        expect(res.status).toBe(201);
        const ffmpegs = await waitFor("capture and encoder ffmpeg running", () => {
          const c = children(pid);
          return c.length === 2 ? c : undefined;
        });
        const started = Date.now();
        expect(await gw.stop(signal)).toBe(0);
        expect(Date.now() - started).toBeLessThan(5000);
        await waitFor("every ffmpeg gone", () => ffmpegs.every((p) => !alive(p)) || undefined, 3000);
      } finally {
        await gw.stop();
        await camera.stop();
      }
    });
  }
});
