import { useState } from "preact/hooks";
import type { Me } from "../session.js";
import type { TemperatureUnit } from "../units.js";
import { api } from "./api.js";
import { t, type MessageKey } from "./i18n.js";
import { me as signedIn } from "./state.js";

type Status = { text: string; error: boolean };

/** °C or °F, kept on the gateway with the user: every tablet they sign in on shows their choice. */
function UnitChoice({ me, onStatus }: { me: Me; onStatus: (status: Status) => void }) {
  const choose = async (unit: TemperatureUnit) => {
    const res = await api<Me>("PATCH", "api/me", { preferences: { temperatureUnit: unit } });
    if (!res.ok) return onStatus({ text: t("error.refused", { error: res.error }), error: true });
    signedIn.value = res.data;
    onStatus({ text: t("account.unitSaved", { unit: unit === "C" ? "°C" : "°F" }), error: false });
  };
  return (
    <fieldset class="unit-choice" aria-describedby="unit-hint">
      <legend>{t("account.temperatures")}</legend>
      {(["C", "F"] as const).map((unit) => (
        <label key={unit} class="inline">
          <input type="radio" name="temperature-unit" value={unit} checked={me.preferences.temperatureUnit === unit} onChange={() => void choose(unit)} />
          {t(unit === "C" ? "account.celsius" : "account.fahrenheit")}
        </label>
      ))}
      <p class="hint" id="unit-hint">
        {t("account.unitHint")}
      </p>
    </fieldset>
  );
}

/** Everyone changes their own password and their preferences here. */
export function AccountPage({ me }: { me: Me }) {
  // One status for the page, so that screen readers hear each outcome in one place.
  const [status, setStatus] = useState<Status>({ text: "", error: false });
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    const [current, password, repeat] = ["current", "password", "repeat"].map((k) => String(data.get(k)));
    if (password !== repeat) return setStatus({ text: t("account.mismatch"), error: true });
    const res = await api("POST", "api/me/password", { current, password });
    if (!res.ok) return setStatus({ text: t("error.refused", { error: res.error }), error: true });
    form.reset();
    setStatus({ text: t("account.changed"), error: false });
  };
  return (
    <section class="panel page" aria-labelledby="account-title">
      <h1 id="account-title">{t("account.title")}</h1>
      <p>{t("account.signedInAs", { name: me.name, role: t(`role.${me.role}` as MessageKey) })}</p>
      {me.role === "viewer" && <p class="hint">{t("role.viewerHint")}</p>}
      <UnitChoice me={me} onStatus={setStatus} />
      <h2>{t("account.password")}</h2>
      <form class="password-form" onSubmit={(e) => void submit(e)}>
        <label>
          {t("account.current")}
          <input name="current" type="password" autocomplete="current-password" required maxLength={1024} />
        </label>
        <label>
          {t("account.new")}
          <input name="password" type="password" autocomplete="new-password" required minLength={12} maxLength={1024} />
        </label>
        <label>
          {t("account.repeat")}
          <input name="repeat" type="password" autocomplete="new-password" required minLength={12} maxLength={1024} />
        </label>
        <button type="submit">{t("account.change")}</button>
      </form>
      <p class={status.error ? "error" : "ok"} role="status" aria-live="polite">
        {status.text}
      </p>
    </section>
  );
}
