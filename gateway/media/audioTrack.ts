import { MediaStreamTrack, RtpPacket } from "werift";
import type { Hub } from "../hub/hub.js";
import type { SharedTrack } from "./thermalVideo.js";

/**
 * A microphone's Opus audio, encoded once by its capture ffmpeg and forwarded to every viewer.
 * The capture runs all the time (its levels feed charts and alerts, its sound incident records),
 * so there is nothing to start per viewer; while no viewer wants the sound, werift gets no packets.
 */
export class AudioTrack implements SharedTrack {
  readonly kind = "audio" as const;
  readonly track = new MediaStreamTrack({ kind: "audio" });
  private ssrc: number | undefined;
  private viewers = 0;
  private readonly unsubscribe: () => void;
  packetsOut = 0;
  bytesOut = 0;

  constructor(
    readonly streamId: string,
    hub: Hub,
  ) {
    this.unsubscribe = hub.subscribe((e) => {
      if (e.type !== "rtp" || e.stream !== streamId || e.packet.length < 12 || (e.packet[1] & 0x7f) !== 111) return;
      const ssrc = e.packet.readUInt32BE(8);
      if (ssrc !== this.ssrc) {
        // A restarted capture has a new SSRC, sequence and timestamps; keep viewers' timelines continuous.
        if (this.ssrc !== undefined) this.track.notifySourceChanged(RtpPacket.deSerialize(e.packet).header);
        this.ssrc = ssrc;
      }
      if (this.viewers === 0) return;
      this.packetsOut++;
      this.bytesOut += e.packet.length;
      this.track.writeRtp(e.packet);
    });
  }

  acquire(): void {
    this.viewers++;
  }

  release(): void {
    this.viewers = Math.max(0, this.viewers - 1);
  }

  stop(): void {
    this.unsubscribe();
    this.track.stop();
  }
}
