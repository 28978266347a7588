import { createRequire } from "node:module";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { API_TOKEN, GatewayProcess } from "../helpers/gateway.js";
import { NetNs } from "../helpers/netns.js";

/** Eyevinn's WHEP player from npm, bundled for the browser exactly as published. */
async function eyevinnPlayer(): Promise<string> {
  const entry = createRequire(import.meta.url).resolve("@eyevinn/webrtc-player");
  const out = await build({ entryPoints: [entry], bundle: true, format: "iife", globalName: "EyevinnWebRTCPlayer", platform: "browser", write: false, logLevel: "silent" });
  return out.outputFiles[0].text;
}

describe("an unmodified third-party WHEP player (Eyevinn webrtc-player) watches the gateway", () => {
  let ns: NetNs;
  let gateway: GatewayProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ns = await NetNs.create(10_216);
    gateway = new GatewayProcess({ http: { host: "0.0.0.0", port: 8080 }, sources: [{ id: "sim", type: "simulated", thermalFps: 8 }] }, ns);
    await gateway.start();
    browser = await launchChromium(ns.chromiumLauncher());
    page = await browser.newPage();
    await page.goto("http://127.0.0.1:8080/healthz");
    await page.evaluate(await eyevinnPlayer());
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await ns?.destroy();
  });

  it("plays the thermal video and the microphone with a bearer token", async () => {
    await page.evaluate(async (token) => {
      const video = document.createElement("video");
      video.muted = true;
      video.autoplay = true;
      document.body.append(video);
      const { WebRTCPlayer } = (window as unknown as { EyevinnWebRTCPlayer: { WebRTCPlayer: new (o: object) => { load(u: URL, key?: string): Promise<void> } } }).EyevinnWebRTCPlayer;
      const player = new WebRTCPlayer({ video, type: "whep", iceServers: [] });
      await player.load(new URL("/whep", location.href), `Bearer ${token}`);
    }, API_TOKEN);
    await page.waitForFunction(() => {
      const v = document.querySelector("video")!;
      return v.videoWidth === 320 && v.videoHeight === 240 && v.currentTime > 1;
    }, undefined, { timeout: 20_000 });
    const tracks = await page.evaluate(() => {
      const s = document.querySelector("video")!.srcObject as MediaStream;
      return { video: s.getVideoTracks().length, audio: s.getAudioTracks().length };
    });
    expect(tracks).toEqual({ video: 1, audio: 1 });
  });
});
