import type { Logger } from "../../common/logger.js";
import type { SharedTrack } from "../media/thermalVideo.js";
import { ChannelStats } from "./channelStats.js";
import { iceServersFor } from "./iceServers.js";
import { ViewerSession, type IceServer, type RtcSettings, type Scope, type StreamFactories } from "./viewerSession.js";

export class ViewerLimitError extends Error {}

/** All live viewer sessions, capped so a flood of offers cannot exhaust ports or memory. */
export class Sessions {
  private readonly sessions = new Map<string, ViewerSession>();

  constructor(
    private readonly settings: RtcSettings,
    private readonly factories: StreamFactories,
    private readonly tracks: () => SharedTrack[],
    private readonly maxViewers: number,
    private readonly log: Logger,
    readonly stats = new ChannelStats(),
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /** Fresh ICE servers for one viewer (TURN credentials are per session). */
  iceServers(user: string): IceServer[] {
    return iceServersFor(this.settings.iceServers, this.settings.turn, user);
  }

  async create(offerSdp: string, scope: Scope, iceServers: IceServer[]): Promise<{ session: ViewerSession; answer: string }> {
    if (this.sessions.size >= this.maxViewers) throw new ViewerLimitError(`viewer limit of ${this.maxViewers} reached`);
    const session = new ViewerSession(this.settings, iceServers, this.factories, this.tracks(), scope, this.stats, this.log);
    this.sessions.set(session.id, session);
    session.onClose(() => this.sessions.delete(session.id));
    try {
      const answer = await session.answer(offerSdp);
      this.log.info({ session: session.id, viewers: this.sessions.size }, "viewer session created");
      return { session, answer };
    } catch (err) {
      await session.close("offer failed");
      throw err;
    }
  }

  get(id: string): ViewerSession | undefined {
    return this.sessions.get(id);
  }

  async closeAll(reason: string): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.close(reason)));
  }
}
