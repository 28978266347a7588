import { useEffect, useRef, useState } from "preact/hooks";
import type { PlantMachineMsg } from "../../../gateway/protocol/plant.js";
import { LiveSession, type LiveState } from "../plantLive.js";
import { t } from "./i18n.js";
import { plantToken } from "./plantActions.js";

/**
 * A pinned machine's live thermal picture and sound level, on demand: a direct WebRTC connection
 * from this browser to the machine's gateway. Says why when there is none.
 */
export function LiveTile({ m }: { m: PlantMachineMsg }) {
  const [live, setLive] = useState<LiveState | undefined>();
  const [level, setLevel] = useState(0);
  const video = useRef<HTMLVideoElement>(null);
  const session = useRef<LiveSession>();
  useEffect(() => {
    const stop = () => session.current?.stop();
    window.addEventListener("pagehide", stop);
    return () => {
      window.removeEventListener("pagehide", stop);
      stop();
    };
  }, []);
  const token = async () => {
    const issued = await plantToken(m);
    if (!issued.ok) throw new Error(issued.error);
    return issued.data.token;
  };
  const toggle = () => {
    if (session.current && live?.state !== "failed") {
      session.current.stop();
      session.current = undefined;
      setLive(undefined);
      return;
    }
    session.current = new LiveSession(m.pinnedUrl!, token, { state: setLive, video: video.current!, level: setLevel }, {
      unreachable: (error) => t("plant.live.unreachable", { error }),
      refused: (status, error) => t("plant.live.refused", { status, error }),
      noPicture: (seconds) => t("plant.live.noPicture", { seconds }),
    });
    void session.current.start();
  };
  const on = live !== undefined && live.state !== "failed";
  return (
    <div class="machine-live" data-live={live?.state ?? "off"}>
      <button type="button" name="live" aria-pressed={on} onClick={toggle}>
        {t(on ? "plant.live.stop" : "plant.live.start")}
      </button>
      <video ref={video} muted playsInline hidden={!on} aria-label={t("plant.live.video", { machine: m.name })} />
      {on && (
        <meter min={0} max={1} value={level} aria-label={t("plant.live.level")}>
          {Math.round(level * 100)} %
        </meter>
      )}
      {live?.state === "connecting" && <span class="hint">{t("plant.live.connecting")}</span>}
      {live?.state === "failed" && (
        <p class="error" role="alert">
          {live.reason}
        </p>
      )}
    </div>
  );
}
