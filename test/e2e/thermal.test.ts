import { execFileSync } from "node:child_process";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeBinaryFrame } from "../../sensors/thermal/binaryFrame.js";
import { inbound, keepPeerConnections, launchChromium, signIn } from "../helpers/browser.js";
import { ADMIN_PASSWORD, API_TOKEN, GatewayProcess } from "../helpers/gateway.js";
import { NetNs } from "../helpers/netns.js";
import { waitFor } from "../helpers/ports.js";
import { PtyPair } from "../helpers/socat.js";
import { framesDecoded, startViewer } from "../helpers/whepPage.js";

const W = 32;
const H = 24;
const pattern = (seq: number) => Float32Array.from({ length: W * H }, (_, i) => 30 + seq / 10 + i / 100);

function encoders(gatewayPid: number): number[] {
  try {
    return execFileSync("pgrep", ["-P", String(gatewayPid), "-f", "rtp://127.0.0.1"], { encoding: "utf8" }).trim().split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe("thermal camera end to end in headless Chromium (private network namespace)", () => {
  let ns: NetNs;
  let pair: PtyPair;
  let gateway: GatewayProcess;
  let browser: Browser;
  let viewers: Page[];
  let dashboard: Page;
  let sending: NodeJS.Timeout;
  let seq = 0;

  beforeAll(async () => {
    ns = await NetNs.create(10_213);
    pair = new PtyPair();
    await pair.start();
    gateway = new GatewayProcess(
      {
        http: { host: "0.0.0.0", port: 8080 },
        // The encoder stops a second after the last viewer that wants video: the pause test waits for it.
        video: { idleStop: 1 },
        sources: [{ id: "mlx", type: "thermal-serial", path: pair.device, format: "binary", rois: [{ name: "corner", x: 0, y: 0, width: 4, height: 4 }] }],
      },
      ns,
    );
    await gateway.start();
    // The board sends a frame 8 times a second, as an MLX90640 at 16 Hz subpage rate would.
    sending = setInterval(() => void pair.send(encodeBinaryFrame(W, H, seq, pattern(seq++))), 125);
    browser = await launchChromium(ns.chromiumLauncher());
    viewers = [await browser.newPage(), await (await browser.newContext()).newPage()];
    for (const page of viewers) {
      await page.goto("http://127.0.0.1:8080/healthz");
      await startViewer(page, API_TOKEN, 1);
    }
  });

  afterAll(async () => {
    clearInterval(sending);
    await browser?.close();
    await gateway?.stop();
    await pair?.unplug();
    await ns?.destroy();
  });

  it("delivers radiometric frames whose temperatures match what the sensor sent", async () => {
    const frames = await waitFor("thermal frames", () => viewers[0].evaluate(() => (window as unknown as { viewer: { frames: Array<{ camera: string; seq: number; first: number[] }> } }).viewer.frames).then((f) => (f.length >= 3 ? f : undefined)), 10_000);
    for (const f of frames) {
      expect(f.camera).toBe("mlx");
      const sent = pattern(f.seq);
      f.first.forEach((v, i) => expect(v).toBeCloseTo(sent[i], 2));
    }
  });

  it("sends video to two browsers at once from a single encoder process", async () => {
    for (const page of viewers) await waitFor("video frames decoded", async () => ((await framesDecoded(page)) > 10 ? true : undefined), 15_000);
    expect(encoders(gateway.proc!.child.pid!)).toHaveLength(1);
  });

  it("recovers when the encoder is killed, without the viewers reconnecting", async () => {
    const [pid] = encoders(gateway.proc!.child.pid!);
    process.kill(pid, "SIGKILL");
    const before = await Promise.all(viewers.map(framesDecoded));
    await waitFor("a new encoder", () => (encoders(gateway.proc!.child.pid!).some((p) => p !== pid) ? true : undefined), 10_000);
    for (const [i, page] of viewers.entries()) {
      await waitFor("video decodes again", async () => ((await framesDecoded(page)) > before[i] + 10 ? true : undefined), 15_000);
      expect(await page.evaluate(() => (window as unknown as { viewer: { pc: RTCPeerConnection } }).viewer.pc.connectionState)).toBe("connected");
    }
  });

  it("exposes Prometheus metrics for the traffic so far (token required)", async () => {
    const page = viewers[0];
    expect(await page.evaluate(async () => (await fetch("/metrics")).status)).toBe(401);
    const text = await page.evaluate(async (token) => (await fetch("/metrics", { headers: { Authorization: `Bearer ${token}` } })).text(), API_TOKEN);
    const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
    expect(value(/^wachter_viewers (\d+)$/m)).toBe(2);
    expect(value(/^wachter_source_up\{source="mlx"\} (\d+)$/m)).toBe(1);
    expect(value(/^wachter_source_readings_total\{source="mlx"\} (\d+)$/m)).toBeGreaterThan(10);
    expect(value(/^wachter_track_packets_total\{track="mlx",kind="video"\} (\d+)$/m)).toBeGreaterThan(10);
    expect(value(/^wachter_datachannel_messages_total\{label="thermal"\} (\d+)$/m)).toBeGreaterThan(10);
    expect(value(/^wachter_ffmpeg_restarts_total\{process="encoder mlx"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^wachter_nodejs_eventloop_lag_seconds /m);
    expect(text).toMatch(/^wachter_process_resident_memory_bytes /m);
    expect(text).toMatch(/^wachter_alerts\{state="firing"\} 0$/m);
  });

  it("drops a viewer that closes its peer connection without a WHEP DELETE at once, not after ICE consent fails", async () => {
    const viewersNow = () => viewers[0].evaluate(async (token) => (await fetch("/metrics", { headers: { Authorization: `Bearer ${token}` } })).text(), API_TOKEN).then((t) => Number(/^wachter_viewers (\d+)$/m.exec(t)?.[1]));
    expect(await viewersNow()).toBe(2);
    const closedAt = Date.now();
    await viewers[1].evaluate(() => (window as unknown as { viewer: { pc: RTCPeerConnection } }).viewer.pc.close());
    await waitFor("the gateway to drop the session", async () => ((await viewersNow()) === 1 ? true : undefined), 5000);
    expect(Date.now() - closedAt).toBeLessThan(5000);
    await gateway.logged("viewer session closed", (l) => l.reason === "viewer closed the connection");
    const before = await framesDecoded(viewers[0]);
    await waitFor("the other viewer still decodes", async () => ((await framesDecoded(viewers[0])) > before + 5 ? true : undefined), 10_000);
  });

  it("shows the camera in the dashboard: live radiometric view and the ROI channel", async () => {
    const page = await browser.newPage();
    dashboard = page;
    await signIn(page, ADMIN_PASSWORD);
    await page.waitForSelector('.thermal[data-camera="mlx"][data-stale="false"]', { timeout: 10_000 });
    const seqA = Number(await page.getAttribute('.thermal[data-camera="mlx"]', "data-seq"));
    await page.waitForFunction((a) => Number(document.querySelector('.thermal[data-camera="mlx"]')?.getAttribute("data-seq")) > a, seqA);
    const channels = await page.evaluate(async () => ((await (await fetch("/api/channels")).json()) as Array<{ id: string }>).map((c) => c.id));
    expect(channels).toEqual(expect.arrayContaining(["thermal.mlx.max", "thermal.mlx.corner.max", "thermal.mlx.corner.mean", "thermal.mlx.corner.min"]));
  });

  it("encodes no video while the only viewer is a dashboard showing temperatures, and sends it video in the video view", async () => {
    // The players leave (closing their peer connections, so the gateway drops them at once).
    for (const v of viewers) {
      await v.evaluate(() => (window as unknown as { viewer: { pc: RTCPeerConnection } }).viewer.pc.close());
      await v.close();
    }
    const page = await browser.newPage();
    await keepPeerConnections(page);
    await signIn(page, ADMIN_PASSWORD);
    await page.waitForSelector('.thermal[data-camera="mlx"][data-stale="false"]', { timeout: 10_000 });
    const videoPackets = () => inbound(page, "video", "packetsReceived");
    const pid = gateway.proc!.child.pid!;
    await waitFor("the encoder to stop", () => (encoders(pid).length === 0 ? true : undefined), 10_000);
    // Another dashboard joins: asking for no video from the start, it starts no encoder.
    const starts = () => gateway.logs().filter((l) => l.msg === "thermal video encoder started").length;
    const startsBefore = starts();
    const second = await browser.newPage();
    await signIn(second, ADMIN_PASSWORD);
    await second.waitForSelector('.thermal[data-camera="mlx"][data-seq]', { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 1500));
    expect(starts()).toBe(startsBefore);
    expect(encoders(pid)).toEqual([]);
    await second.close();
    const before = await videoPackets();
    await new Promise((r) => setTimeout(r, 2000));
    expect(await videoPackets()).toBe(before);
    // Radiometric frames still arrive.
    const seqA = Number(await page.getAttribute('.thermal[data-camera="mlx"]', "data-seq"));
    await page.waitForFunction((a) => Number(document.querySelector('.thermal[data-camera="mlx"]')?.getAttribute("data-seq")) > a, seqA);

    const decoded = await inbound(page, "video", "framesDecoded");
    await page.click('.thermal[data-camera="mlx"] button[data-mode="video"]');
    await waitFor("an encoder again", () => (encoders(pid).length === 1 ? true : undefined), 10_000);
    await waitFor("video decoded on the dashboard", async () => ((await inbound(page, "video", "framesDecoded")) > decoded + 10 ? true : undefined), 15_000);
    await page.click('.thermal[data-camera="mlx"] button[data-mode="radiometric"]');
    await waitFor("the encoder to stop again", () => (encoders(pid).length === 0 ? true : undefined), 10_000);
    await page.close();
  });

  it("says the camera is offline when frames stop", async () => {
    clearInterval(sending);
    const page = dashboard;
    await page.waitForSelector('.thermal[data-camera="mlx"][data-stale="true"]', { timeout: 10_000 });
    expect(await page.textContent('.thermal[data-camera="mlx"] .pill')).toBe("camera offline");
  });
});
