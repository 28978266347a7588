import { effect, signal } from "@preact/signals";
import type { AlertBook } from "../alerts.js";
import { serverClock } from "./state.js";

/**
 * An audible alarm for critical alarms nobody has acknowledged or shelved yet: two tones every two
 * seconds. Browsers only play sound after the operator has interacted with the page, so it is
 * switched on by a button each time the page is opened.
 */
export const alarmSound = signal(false);
const REPEAT_MS = 2000;
let audio: AudioContext | undefined;

export function toggleAlarmSound(): void {
  alarmSound.value = !alarmSound.value;
  // Created and resumed inside the click: the gesture browsers require before they play.
  if (alarmSound.value) void (audio ??= new AudioContext()).resume();
}

function beep(context: AudioContext): void {
  const gain = context.createGain();
  gain.gain.value = 0.2;
  gain.connect(context.destination);
  [880, 660].forEach((hz, i) => {
    const tone = context.createOscillator();
    tone.frequency.value = hz;
    tone.connect(gain);
    tone.start(context.currentTime + i * 0.25);
    tone.stop(context.currentTime + i * 0.25 + 0.2);
  });
  document.documentElement.dataset.alarmBeeps = String(Number(document.documentElement.dataset.alarmBeeps ?? 0) + 1);
}

export function startAlarmSound(book: AlertBook): void {
  let lastBeep = -Infinity;
  effect(() => {
    const now = serverClock.value;
    if (!alarmSound.value || !audio || audio.state !== "running") return;
    const calling = [...book.alerts.values()].some((a) => a.state === "firing" && a.severity === "critical" && !a.ack && !(a.shelvedUntil !== null && a.shelvedUntil > now));
    if (calling && performance.now() - lastBeep >= REPEAT_MS) {
      lastBeep = performance.now();
      beep(audio);
    }
  });
}
