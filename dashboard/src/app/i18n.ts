import { signal } from "@preact/signals";

/**
 * The operator's language: English, German or Dutch. The browser's language by default, a choice in
 * the UI kept in this browser.
 */
export const LANGUAGES = { en: "English", de: "Deutsch", nl: "Nederlands" } as const;
export type Language = keyof typeof LANGUAGES;

const en = {
  "app.signIn": "Sign in",
  "app.signInHint": "Sign in to watch this machine.",
  "app.username": "Username",
  "app.password": "Password",
  "app.signOut": "Sign out",
  "app.language": "Language",
  "nav.overview": "Overview",
  "nav.users": "Users",
  "nav.account": "My account",
  "link.connecting": "Connecting…",
  "link.connected": "Live",
  "link.reconnecting": "Reconnecting…",
  "link.unsupported": "No live data",
  "section.trends": "Trends",
  "section.alerts": "Alerts",
  "section.connection": "Connection",
  "login.wrong": "wrong username or password",
  "login.throttled": "Too many failed attempts. Try again in {seconds} s.",
  "users.title": "Users",
  "users.name": "Name",
  "users.role": "Role",
  "users.remove": "Remove",
  "users.removeConfirm": "Remove {name}? Their sessions end at once.",
  "users.add": "Add user",
  "users.password": "Initial password (at least 12 characters)",
  "users.added": "{name} was added.",
  "users.roleChanged": "{name} is now {role}. They sign in again with the new role.",
  "users.removed": "{name} was removed.",
  "users.you": "you",
  "users.adminOnly": "Only admins manage users. Ask an admin to add, remove or change users.",
  "role.viewer": "viewer",
  "role.operator": "operator",
  "role.admin": "admin",
  "role.viewerHint": "Viewers watch; they cannot acknowledge or shelve alerts.",
  "account.title": "My account",
  "account.signedInAs": "Signed in as {name} ({role}).",
  "account.current": "Current password",
  "account.new": "New password (at least 12 characters)",
  "account.repeat": "New password again",
  "account.change": "Change password",
  "account.mismatch": "The two new passwords differ.",
  "account.changed": "Your password was changed. Your other sessions were signed out.",
  "error.refused": "The gateway refused: {error}",
} as const;
export type MessageKey = keyof typeof en;

const de: Record<MessageKey, string> = {
  "app.signIn": "Anmelden",
  "app.signInHint": "Melden Sie sich an, um diese Maschine zu beobachten.",
  "app.username": "Benutzername",
  "app.password": "Passwort",
  "app.signOut": "Abmelden",
  "app.language": "Sprache",
  "nav.overview": "Übersicht",
  "nav.users": "Benutzer",
  "nav.account": "Mein Konto",
  "link.connecting": "Verbinde…",
  "link.connected": "Live",
  "link.reconnecting": "Verbindung wird wiederhergestellt…",
  "link.unsupported": "Keine Live-Daten",
  "section.trends": "Verläufe",
  "section.alerts": "Alarme",
  "section.connection": "Verbindung",
  "login.wrong": "Benutzername oder Passwort falsch",
  "login.throttled": "Zu viele Fehlversuche. Versuchen Sie es in {seconds} s erneut.",
  "users.title": "Benutzer",
  "users.name": "Name",
  "users.role": "Rolle",
  "users.remove": "Entfernen",
  "users.removeConfirm": "{name} entfernen? Die Sitzungen enden sofort.",
  "users.add": "Benutzer hinzufügen",
  "users.password": "Erstes Passwort (mindestens 12 Zeichen)",
  "users.added": "{name} wurde hinzugefügt.",
  "users.roleChanged": "{name} ist jetzt {role} und meldet sich mit der neuen Rolle erneut an.",
  "users.removed": "{name} wurde entfernt.",
  "users.you": "Sie",
  "users.adminOnly": "Nur Administratoren verwalten Benutzer. Bitten Sie einen Administrator um Änderungen.",
  "role.viewer": "Betrachter",
  "role.operator": "Bediener",
  "role.admin": "Administrator",
  "role.viewerHint": "Betrachter sehen zu; sie können Alarme weder quittieren noch zurückstellen.",
  "account.title": "Mein Konto",
  "account.signedInAs": "Angemeldet als {name} ({role}).",
  "account.current": "Aktuelles Passwort",
  "account.new": "Neues Passwort (mindestens 12 Zeichen)",
  "account.repeat": "Neues Passwort wiederholen",
  "account.change": "Passwort ändern",
  "account.mismatch": "Die beiden neuen Passwörter sind verschieden.",
  "account.changed": "Ihr Passwort wurde geändert. Ihre anderen Sitzungen wurden abgemeldet.",
  "error.refused": "Das Gateway lehnte ab: {error}",
};

const nl: Record<MessageKey, string> = {
  "app.signIn": "Aanmelden",
  "app.signInHint": "Meld u aan om deze machine te volgen.",
  "app.username": "Gebruikersnaam",
  "app.password": "Wachtwoord",
  "app.signOut": "Afmelden",
  "app.language": "Taal",
  "nav.overview": "Overzicht",
  "nav.users": "Gebruikers",
  "nav.account": "Mijn account",
  "link.connecting": "Verbinden…",
  "link.connected": "Live",
  "link.reconnecting": "Opnieuw verbinden…",
  "link.unsupported": "Geen live gegevens",
  "section.trends": "Trends",
  "section.alerts": "Alarmen",
  "section.connection": "Verbinding",
  "login.wrong": "gebruikersnaam of wachtwoord onjuist",
  "login.throttled": "Te veel mislukte pogingen. Probeer het over {seconds} s opnieuw.",
  "users.title": "Gebruikers",
  "users.name": "Naam",
  "users.role": "Rol",
  "users.remove": "Verwijderen",
  "users.removeConfirm": "{name} verwijderen? De sessies eindigen meteen.",
  "users.add": "Gebruiker toevoegen",
  "users.password": "Eerste wachtwoord (minstens 12 tekens)",
  "users.added": "{name} is toegevoegd.",
  "users.roleChanged": "{name} is nu {role} en meldt zich opnieuw aan met de nieuwe rol.",
  "users.removed": "{name} is verwijderd.",
  "users.you": "u",
  "users.adminOnly": "Alleen beheerders beheren gebruikers. Vraag een beheerder om wijzigingen.",
  "role.viewer": "kijker",
  "role.operator": "operator",
  "role.admin": "beheerder",
  "role.viewerHint": "Kijkers kijken mee; zij kunnen alarmen niet bevestigen of uitstellen.",
  "account.title": "Mijn account",
  "account.signedInAs": "Aangemeld als {name} ({role}).",
  "account.current": "Huidig wachtwoord",
  "account.new": "Nieuw wachtwoord (minstens 12 tekens)",
  "account.repeat": "Nieuw wachtwoord nogmaals",
  "account.change": "Wachtwoord wijzigen",
  "account.mismatch": "De twee nieuwe wachtwoorden verschillen.",
  "account.changed": "Uw wachtwoord is gewijzigd. Uw andere sessies zijn afgemeld.",
  "error.refused": "De gateway weigerde: {error}",
};

const MESSAGES: Record<Language, Record<MessageKey, string>> = { en, de, nl };
const STORAGE_KEY = "wachter.language";

/** The stored choice, else the first of the browser's languages we speak, else English. */
export function initialLanguage(stored: string | null, preferred: readonly string[]): Language {
  if (stored && stored in LANGUAGES) return stored as Language;
  for (const tag of preferred) {
    const base = tag.toLowerCase().split("-")[0];
    if (base in LANGUAGES) return base as Language;
  }
  return "en";
}

export const language = signal<Language>(initialLanguage(globalThis.localStorage?.getItem(STORAGE_KEY) ?? null, globalThis.navigator?.languages ?? []));

export function setLanguage(lang: Language): void {
  language.value = lang;
  globalThis.localStorage?.setItem(STORAGE_KEY, lang);
}

/** The message in the current language, with {name} placeholders filled in. */
export function t(key: MessageKey, params: Record<string, string | number> = {}, lang: Language = language.value): string {
  return MESSAGES[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

