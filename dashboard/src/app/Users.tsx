import { useEffect, useState } from "preact/hooks";
import type { Me } from "../session.js";
import { api } from "./api.js";
import { t, type MessageKey } from "./i18n.js";

type Role = Me["role"];
const ROLES: Role[] = ["viewer", "operator", "engineer", "admin"];
interface User {
  username: string;
  role: Role;
}

const roleName = (role: Role) => t(`role.${role}` as MessageKey);

function RoleSelect({ value, onChange, label }: { value: Role; onChange: (role: Role) => void; label: string }) {
  return (
    <select aria-label={label} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value as Role)}>
      {ROLES.map((r) => (
        <option value={r} key={r}>
          {roleName(r)}
        </option>
      ))}
    </select>
  );
}

/** Admins list, add and remove users and change their roles; others are told why they cannot. */
export function UsersPage({ me }: { me: Me }) {
  const [users, setUsers] = useState<User[]>([]);
  const [status, setStatus] = useState<{ text: string; error: boolean }>({ text: "", error: false });
  const [confirming, setConfirming] = useState<string | undefined>();
  const [draft, setDraft] = useState<User & { password: string }>({ username: "", password: "", role: "viewer" });

  const load = async () => {
    const res = await api<User[]>("GET", "api/users");
    if (res.ok) setUsers(res.data);
  };
  useEffect(() => void (me.role === "admin" && load()), [me.role]);

  if (me.role !== "admin") {
    return (
      <section class="panel page" aria-labelledby="users-title">
        <h1 id="users-title">{t("users.title")}</h1>
        <p class="hint">{t("users.adminOnly")}</p>
      </section>
    );
  }

  const report = (res: { ok: boolean; error?: string }, text: string) => {
    setStatus(res.ok ? { text, error: false } : { text: t("error.refused", { error: res.error ?? "" }), error: true });
    if (res.ok) void load();
  };
  const changeRole = async (user: User, role: Role) => report(await api("PATCH", `api/users/${encodeURIComponent(user.username)}`, { role }), t("users.roleChanged", { name: user.username, role: roleName(role) }));
  const remove = async (user: User) => {
    setConfirming(undefined);
    report(await api("DELETE", `api/users/${encodeURIComponent(user.username)}`), t("users.removed", { name: user.username }));
  };
  const add = async (e: Event) => {
    e.preventDefault();
    const res = await api("POST", "api/users", draft);
    report(res, t("users.added", { name: draft.username }));
    if (res.ok) setDraft({ username: "", password: "", role: "viewer" });
  };

  return (
    <section class="panel page" aria-labelledby="users-title">
      <h1 id="users-title">{t("users.title")}</h1>
      <div class="table-scroll">
        <table class="users">
          <thead>
            <tr>
              <th scope="col">{t("users.name")}</th>
              <th scope="col">{t("users.role")}</th>
              <th scope="col">
                <span class="visually-hidden">{t("users.remove")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.username} data-user={u.username}>
                <td>
                  {u.username}
                  {u.username === me.name && <span class="muted"> ({t("users.you")})</span>}
                </td>
                <td>
                  <RoleSelect value={u.role} label={`${t("users.role")}: ${u.username}`} onChange={(role) => void changeRole(u, role)} />
                </td>
                <td>
                  {u.username === me.name ? null : confirming === u.username ? (
                    <span class="confirm">
                      {t("users.removeConfirm", { name: u.username })}{" "}
                      <button type="button" class="danger" onClick={() => void remove(u)}>
                        {t("users.remove")}
                      </button>{" "}
                      <button type="button" class="link" onClick={() => setConfirming(undefined)}>
                        ✕
                      </button>
                    </span>
                  ) : (
                    <button type="button" onClick={() => setConfirming(u.username)}>
                      {t("users.remove")}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form class="add-user" onSubmit={(e) => void add(e)}>
        <h2>{t("users.add")}</h2>
        <label>
          {t("users.name")}
          <input name="new-username" required maxLength={32} pattern="[A-Za-z0-9_.\-]{1,32}" value={draft.username} onInput={(e) => setDraft({ ...draft, username: (e.target as HTMLInputElement).value })} />
        </label>
        <label>
          {t("users.password")}
          <input name="new-password" type="password" autocomplete="new-password" required minLength={12} maxLength={1024} value={draft.password} onInput={(e) => setDraft({ ...draft, password: (e.target as HTMLInputElement).value })} />
        </label>
        <label>
          {t("users.role")}
          <RoleSelect value={draft.role} label={t("users.role")} onChange={(role) => setDraft({ ...draft, role })} />
        </label>
        <button type="submit">{t("users.add")}</button>
      </form>
      <p class={status.error ? "error" : "ok"} role="status" aria-live="polite">
        {status.text}
      </p>
    </section>
  );
}
