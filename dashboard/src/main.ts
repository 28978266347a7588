import "./style.css";
import { GatewayLink, type LinkState } from "./connection.js";
import { Store } from "./store.js";
import { DashboardView } from "./view.js";

const byId = (id: string) => document.getElementById(id)!;
const store = new Store();
const view = new DashboardView(store, {
  cards: byId("cards"),
  chart: byId("chart"),
  sources: byId("sources"),
  empty: byId("empty"),
  gateway: byId("gateway-name"),
});

const LABELS: Record<LinkState, string> = { connecting: "Connecting…", connected: "Live", reconnecting: "Reconnecting…" };
const pill = byId("connection");
const link = new GatewayLink({
  state(state, detail) {
    document.body.dataset.connection = state;
    pill.textContent = LABELS[state];
    pill.className = `pill ${state === "connected" ? "pill-ok" : state === "connecting" ? "pill-wait" : "pill-bad"}`;
    pill.title = detail;
  },
  message: (msg) => store.apply(msg),
});

for (const button of document.querySelectorAll<HTMLButtonElement>("[data-range]")) {
  button.addEventListener("click", () => {
    for (const b of document.querySelectorAll("[data-range]")) b.classList.toggle("active", b === button);
    view.setWindow(Number(button.dataset.range));
  });
}

const frame = (t: number) => {
  view.render(t);
  requestAnimationFrame(frame);
};
requestAnimationFrame(frame);
link.start();
