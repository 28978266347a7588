import { useState } from "preact/hooks";
import type { Me } from "../session.js";
import { api } from "./api.js";
import { t, type MessageKey } from "./i18n.js";

/** Everyone changes their own password here. */
export function AccountPage({ me }: { me: Me }) {
  const [status, setStatus] = useState<{ text: string; error: boolean }>({ text: "", error: false });
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
