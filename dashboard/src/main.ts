import "./style.css";
import { GatewayLink, type LinkState } from "./connection.js";
import { signIn, signOut, whoAmI, type Me } from "./session.js";
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
  unauthorized: () => showLogin("Your session has ended. Please sign in again."),
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

const loginForm = byId("login-form") as HTMLFormElement;
const loginError = byId("login-error");

function showLogin(message = ""): void {
  byId("login").hidden = false;
  byId("main").hidden = true;
  byId("account").hidden = true;
  loginError.textContent = message;
  (loginForm.elements.namedItem("username") as HTMLInputElement).focus();
}

function showDashboard(me: Me): void {
  byId("login").hidden = true;
  byId("main").hidden = false;
  byId("account").hidden = false;
  byId("account-name").textContent = `${me.name} · ${me.role}`;
  link.start();
}

loginForm.addEventListener("submit", (e) => {
  e.preventDefault();
  const data = new FormData(loginForm);
  loginError.textContent = "";
  void signIn(String(data.get("username")), String(data.get("password"))).then(async (error) => {
    if (error) return void (loginError.textContent = error);
    loginForm.reset();
    const me = await whoAmI();
    if (me) showDashboard(me);
  });
});

byId("logout").addEventListener("click", () => {
  link.stop();
  void signOut().then(() => showLogin());
});

whoAmI().then(
  (me) => (me ? showDashboard(me) : showLogin()),
  (err: Error) => showLogin(`Cannot reach the gateway: ${err.message}`),
);
