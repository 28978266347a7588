import type { Logger } from "../../sensors/index.js";
import type { SharedTrack } from "../media/thermalVideo.js";
import { ChannelStats } from "./channelStats.js";
import { ViewerSession, type RtcSettings, type StreamFactories } from "./viewerSession.js";

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

  async create(offerSdp: string): Promise<{ session: ViewerSession; answer: string }> {
    if (this.sessions.size >= this.maxViewers) throw new ViewerLimitError(`viewer limit of ${this.maxViewers} reached`);
    const session = new ViewerSession(this.settings, this.factories, this.tracks(), this.stats, this.log);
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
