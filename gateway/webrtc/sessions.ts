import type { Logger } from "../../common/logger.js";
import { RateLimitedWarn } from "../../common/rateLimitedLog.js";
import type { SharedTrack } from "../media/thermalVideo.js";
import { ChannelStats } from "./channelStats.js";
import { iceServersFor } from "./iceServers.js";
import type { MemoryGuard } from "./memoryGuard.js";
import { ViewerSession, type IceServer, type RtcSettings, type Scope, type StreamFactories } from "./viewerSession.js";

/** A new viewer refused for want of room (503): the viewer cap, or memory. */
export class ViewerLimitError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds = 10,
  ) {
    super(message);
  }
}

/** All live viewer sessions, capped so a flood of offers cannot exhaust ports or memory. */
export class Sessions {
  private readonly sessions = new Map<string, ViewerSession>();
  private readonly memoryWarn: RateLimitedWarn;

  constructor(
    private readonly settings: RtcSettings,
    private readonly factories: StreamFactories,
    private readonly tracks: () => SharedTrack[],
    private readonly maxViewers: number,
    readonly memory: MemoryGuard,
    private readonly log: Logger,
    readonly stats = new ChannelStats(),
  ) {
    this.memoryWarn = new RateLimitedWarn(log);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Fresh ICE servers for one viewer (TURN credentials are per session). */
  iceServers(user: string): IceServer[] {
    return iceServersFor(this.settings.iceServers, this.settings.turn, user);
  }

  async create(offerSdp: string, scope: Scope, iceServers: IceServer[]): Promise<{ session: ViewerSession; answer: string }> {
    if (this.sessions.size >= this.maxViewers) throw new ViewerLimitError(`viewer limit of ${this.maxViewers} reached`);
    const short = this.memory.refusal();
    if (short !== undefined) {
      this.memoryWarn.warn({ viewers: this.sessions.size }, `new viewer refused: ${short}`);
      // Memory comes back when viewers leave, which takes longer than a slot under the cap.
      throw new ViewerLimitError(`${short}; not accepting new viewers, try again later`, 30);
    }
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
