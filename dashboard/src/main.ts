import "./style.css";
import { decodeSpectrum } from "../../gateway/protocol/spectrum.js";
import type { CameraMsg, MicMsg, VideoColours } from "../../gateway/protocol/telemetry.js";
import { decodeThermal } from "../../gateway/protocol/thermal.js";
import { AlertBook, AlertView } from "./alerts.js";
import { GatewayLink, type LinkDetail, type LinkState } from "./connection.js";
import { ConnectionPanel } from "./connectionPanel.js";
import { MicPanel } from "./microphone.js";
import { signIn, signOut, whoAmI, type Me } from "./session.js";
import { effect, signal } from "@preact/signals";
import { api } from "./app/api.js";
import { t } from "./app/i18n.js";
import { startShell } from "./app/shell.js";
import { clockSkewSeconds, startStatusWarnings } from "./app/StatusWarnings.js";
import { AlarmBanner } from "./app/AlarmBanner.js";
import { startAlarmSound } from "./app/alarmSound.js";
import { h, render } from "preact";
import { canAct, dataVersion, me, plantTimeZone, plantView, serverClock } from "./app/state.js";
import { Store } from "./store.js";
import { ThermalPanel } from "./thermal.js";
import { DashboardView } from "./view.js";

const byId = (id: string) => document.getElementById(id)!;
const store = new Store();
const book = new AlertBook();

const pill = byId("connection");
const linkState = signal<LinkState>("connecting");
const linkDetail = signal<LinkDetail | null>(null);
effect(() => {
  pill.textContent = t(`link.${linkState.value}`);
  const d = linkDetail.value;
  const why = d && t(`link.why.${d.why}`, { arg: d.arg ?? "" });
  pill.title = !d ? "" : d.retryS === undefined ? why! : t("link.retrying", { why: why!, n: d.retryS });
});
const panels = new Map<string, ThermalPanel>();
const micPanels = new Map<string, MicPanel>();
const streams = new Map<string, MediaStream>();
let cameras: CameraMsg[] = [];
let videoColours: VideoColours = { palette: "ironbow", range: null };
let microphones: MicMsg[] = [];

/** The gateway sends a camera's video only to a panel in the video view, and a microphone's sound only while someone listens. */
function syncMedia(): void {
  link.pauseMedia({ video: [...panels].filter(([, p]) => !p.wantsVideo).map(([id]) => id), audio: [...micPanels].filter(([, p]) => !p.wantsAudio).map(([id]) => id) });
}

function syncMics(list: MicMsg[]): void {
  for (const mic of list) {
    let panel = micPanels.get(mic.id);
    if (!panel) {
      panel = new MicPanel(mic, syncMedia);
      micPanels.set(mic.id, panel);
      byId("mics").append(panel.root);
      const stream = streams.get(mic.id);
      if (stream) panel.setStream(stream);
    }
    panel.update(mic);
  }
}

function syncPanels(list: CameraMsg[]): void {
  for (const camera of list) {
    let panel = panels.get(camera.id);
    if (!panel) {
      panel = new ThermalPanel(camera, syncMedia);
      panels.set(camera.id, panel);
      byId("thermal").append(panel.root);
      const stream = streams.get(camera.id);
      if (stream) panel.setVideo(stream);
    }
    panel.setVideoColours(videoColours);
    panel.update(camera);
  }
}

const link = new GatewayLink({
  state(state, detail) {
    document.body.dataset.connection = state;
    linkState.value = state;
    linkDetail.value = detail;
    const lost = state === "reconnecting";
    byId("link-lost").hidden = !lost;
    for (const panel of [...panels.values(), ...micPanels.values()]) panel.setLinkLost(lost);
    pill.className = `pill ${state === "connected" ? "pill-ok" : state === "connecting" ? "pill-wait" : "pill-bad"}`;
    byId("unsupported").hidden = state !== "unsupported";
  },
  message: (msg) => {
    store.apply(msg);
    if (msg.t === "snapshot") {
      dataVersion.value++;
      plantTimeZone.value = msg.gateway.timeZone;
      plantView.value = msg.gateway.plantView;
      void backfill(msg.channels.map((c) => c.id), msg.historyFrom);
      videoColours = msg.video;
      syncPanels(msg.cameras);
      syncMics(msg.mics);
      syncMedia();
    }
    if (msg.t === "camera") {
      syncPanels([msg.camera]);
      syncMedia();
    }
    if (msg.t === "microphone") {
      syncMics([msg.mic]);
      syncMedia();
    }
    if (msg.t === "readings") {
      for (const [id, , value] of msg.r) {
        const m = /^mic\.(.+)\.level_db$/.exec(id);
        if (m) micPanels.get(m[1])?.level(value);
      }
    }
  },
  thermal: (data) => {
    const frame = decodeThermal(data);
    if (frame) panels.get(frame.camera)?.onFrame(frame);
  },
  spectrum: (data) => {
    const column = decodeSpectrum(data);
    if (column) micPanels.get(column.mic)?.column(column);
  },
  track: (streamId, stream) => {
    streams.set(streamId, stream);
    panels.get(streamId)?.setVideo(stream);
    micPanels.get(streamId)?.setStream(stream);
  },
  alerts: (msg) => {
    book.apply(msg);
    if (msg.t === "alerts") dataVersion.value++;
  },
  unauthorized: () => showLogin("Your session has ended. Please sign in again."),
}, () => ({ video: cameras.length, audio: microphones.length }));

for (const button of document.querySelectorAll<HTMLButtonElement>("[data-range]")) {
  button.addEventListener("click", () => {
    for (const b of document.querySelectorAll("[data-range]")) b.classList.toggle("active", b === button);
    view.setWindow(Number(button.dataset.range));
  });
}

const alertActions = {
  canAct,
  ack: (id: string, note: string) => void post(`api/alerts/${encodeURIComponent(id)}/ack`, { note }),
  shelve: (id: string, forMs: number | null) => void post(`api/alerts/${encodeURIComponent(id)}/shelve`, { for: forMs }),
};
const view = new DashboardView(store, book, alertActions, {
  cards: byId("cards"),
  chart: byId("chart"),
  sources: byId("sources"),
  empty: byId("empty"),
  gateway: byId("gateway-name"),
});
const alertView = new AlertView(book, byId("alert-list"), alertActions);
render(h(AlarmBanner, { book, store, actions: alertActions }), byId("alert-banner"));
startAlarmSound(book);

async function post(url: string, body: object): Promise<void> {
  const res = await api("POST", url, body);
  if (!res.ok) window.alert(t("error.refused", { error: res.error }));
}

/**
 * The rest of the last hour from the gateway's stored history (what its in-memory history, sent
 * on the data channel, does not reach back to), so charts are full as soon as the page opens.
 */
async function backfill(channels: string[], historyFrom: Record<string, number>): Promise<void> {
  for (const channel of channels) {
    const to = historyFrom[channel] ?? "now";
    const res = await fetch(`api/history?channel=${encodeURIComponent(channel)}&from=now-1h&to=${to}&step=5s`, { credentials: "same-origin" });
    if (!res.ok) continue;
    const { points } = (await res.json()) as { points: Array<{ t: number; mean: number }> };
    const older = points.filter((p) => p.t < (historyFrom[channel] ?? Infinity));
    store.insert(channel, older.map((p) => p.t), older.map((p) => p.mean));
  }
}

const connectionPanel = new ConnectionPanel(byId("connection-panel"));
window.setInterval(() => void connectionPanel.update(link.peerConnection), 1000);

/**
 * What the overview shows changes on one tick, ten times a second (as fast as the fastest sources
 * send), all of it in one animation frame, not as each message comes: data arriving at its own times
 * would make the browser style, lay out, paint and composite the page for every message.
 */
const PAINT_TICK_MS = 100;
let lastAlertRender = 0;
let lastBannerRender = 0;
function paintTick(t: number): void {
  for (const panel of panels.values()) panel.paint();
  for (const panel of micPanels.values()) panel.paint();
  view.render(t);
  // The banner's live values keep up with the cards; the list's ages need only a second.
  if (book.dirty || t - lastBannerRender >= 250) {
    serverClock.value = store.serverNow();
    clockSkewSeconds.value = Math.round(store.clockOffset / 1000);
    lastBannerRender = t;
  }
  if (book.dirty || t - lastAlertRender >= 1000) {
    alertView.render(store.serverNow());
    lastAlertRender = t;
  }
}
const paint = (t: number) => {
  try {
    paintTick(t);
  } finally {
    // One panel's error (a bad frame, say) must not stop the whole overview.
    window.setTimeout(() => requestAnimationFrame(paint), Math.max(0, PAINT_TICK_MS - (performance.now() - t)));
  }
};
requestAnimationFrame(paint);

const loginForm = byId("login-form") as HTMLFormElement;
const loginError = byId("login-error");

startStatusWarnings(byId("status-warnings-host"));
startShell(byId("nav"), byId("page"), byId("overview"), {
  channel: (id) => store.channels.get(id),
  thresholds: (id) => book.thresholdsFor(id),
});

function showLogin(message = ""): void {
  me.value = undefined;
  byId("login").hidden = false;
  byId("main").hidden = true;
  byId("account").hidden = true;
  loginError.textContent = message;
  (loginForm.elements.namedItem("username") as HTMLInputElement).focus();
}

function showDashboard(who: Me): void {
  me.value = who;
  byId("login").hidden = true;
  byId("main").hidden = false;
  byId("account").hidden = false;
  byId("account-name").textContent = `${who.name} · ${who.role}`;
  // The offer asks for one video track per camera and one audio track per microphone.
  const list = <T,>(url: string) =>
    fetch(url, { credentials: "same-origin" })
      .then((r) => (r.ok ? (r.json() as Promise<T[]>) : []))
      .catch(() => [] as T[]);
  void Promise.all([list<CameraMsg>("api/cameras"), list<MicMsg>("api/microphones")]).then(([c, m]) => {
    cameras = c;
    microphones = m;
    // Panels open on the temperatures view with the sound muted.
    link.pauseMedia({ video: c.map((camera) => camera.id), audio: m.map((mic) => mic.id) });
    link.start();
  });
}

loginForm.addEventListener("submit", (e) => {
  e.preventDefault();
  const data = new FormData(loginForm);
  loginError.textContent = "";
  void signIn(String(data.get("username")), String(data.get("password"))).then(async (error) => {
    if (error) return void (loginError.textContent = error);
    loginForm.reset();
    const who = await whoAmI();
    if (who) showDashboard(who);
  });
});

byId("logout").addEventListener("click", () => {
  link.stop();
  void signOut().then(() => showLogin());
});

whoAmI().then(
  (who) => (who ? showDashboard(who) : showLogin()),
  (err: Error) => showLogin(`Cannot reach the gateway: ${err.message}`),
);
