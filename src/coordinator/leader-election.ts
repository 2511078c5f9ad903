import type { Clock } from '../runtime/clock.ts';
import type { Random } from '../runtime/random.ts';
import type { TimerHandle, Timers } from '../runtime/timers.ts';
import type { LeaderFence, Leadership, Store } from '../store/store-port.ts';
import type { Logger } from '../runtime/logger.ts';

export const MAINTENANCE_ROLE = 'maintenance';

export interface LeaderElectionDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
  readonly logger: Logger;
  readonly nodeId: string;
  readonly leaseMs: number;
  /** Called when the renewal timer wins the lease, so maintenance runs at once, not at the next pass. */
  readonly onElected: () => void;
  /**
   * Asked before every take or renewal; false (this node's clock is too far off) gives the
   * lease up, so a node that cannot be trusted with lease expiries does not lead.
   */
  readonly mayLead?: () => Promise<boolean>;
}

/**
 * Elects the one maintenance leader among the nodes sharing a store. The lease lives in the
 * store with a fencing epoch; every leader-only command carries the fence and the store
 * checks it in the command's own transaction, so a leader that stalled past its lease and
 * was replaced cannot act. Followers try to take the lease every third of its length, so
 * leadership moves within about 1⅓ leases of the leader's death. A store one process owns
 * alone is taken over at once: whoever held it is gone.
 */
export class LeaderElection {
  /** This process, as a lease holder: a restarted node is a new holder with a new epoch. */
  readonly holder: string;
  readonly #d: LeaderElectionDeps;
  #held: Leadership | undefined;
  /**
   * Whether the log last said this node leads. A lease that lapsed between two passes and was
   * taken back by the same holder (a single-owner store renews only at its passes) is no news;
   * only a change of who leads is logged.
   */
  #saidLeading = false;
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(deps: LeaderElectionDeps) {
    this.#d = deps;
    this.holder = `${deps.nodeId}#${deps.random.uuid().slice(0, 8)}`;
  }

  /** The fence to act under while this process leads, by its own clock. */
  get fence(): LeaderFence | undefined {
    const held = this.#held;
    if (!held || held.expiresAtMs <= this.#d.clock.now()) return undefined;
    return { role: held.role, holder: held.holder, epoch: held.epoch };
  }

  get isLeader(): boolean {
    return this.fence !== undefined;
  }

  /**
   * Takes or renews the lease; returns the fence when this process leads. A maintenance pass
   * calls it first and acts on the answer; the renewal timer passes `announce`, so a win
   * between passes starts one.
   */
  async refresh(announce = false): Promise<LeaderFence | undefined> {
    if (this.#stopped) return undefined;
    const { store, clock, logger } = this.#d;
    const wasLeader = this.isLeader;
    if (this.#d.mayLead && !(await this.#mayLead())) {
      await this.#resign();
      if (this.#saidLeading)
        logger.warn({ holder: this.holder }, 'this node gave up the maintenance leadership');
      this.#saidLeading = false;
      return undefined;
    }
    try {
      this.#held = await store.acquireLeadership({
        role: MAINTENANCE_ROLE,
        holder: this.holder,
        nowMs: clock.now(),
        ttlMs: this.#d.leaseMs,
        takeOver: store.exclusive,
      });
    } catch (error) {
      // Unreachable store: the lease held so far stays good until it runs out (see `fence`).
      logger.warn({ err: error }, 'maintenance leadership could not be renewed');
    }
    const leads = this.isLeader;
    if (leads && !wasLeader && announce) this.#d.onElected();
    if (leads && !this.#saidLeading)
      logger.info(
        { holder: this.holder, epoch: this.#held?.epoch },
        'this node became the maintenance leader',
      );
    else if (!leads && this.#saidLeading)
      logger.warn({ holder: this.holder }, 'this node lost the maintenance leadership');
    this.#saidLeading = leads;
    return this.fence;
  }

  /** Renews (or contends for) the lease every third of its length; a single owner needs no timer. */
  start(): void {
    if (this.#d.store.exclusive) return;
    const renew = (): void => {
      this.#timer = this.#d.timers.setTimeout(
        () => void this.refresh(true).finally(() => !this.#stopped && renew()),
        Math.max(50, Math.floor(this.#d.leaseMs / 3)),
      );
    };
    renew();
  }

  /** Stops contending and gives the lease up, so a peer need not wait for it to run out. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#saidLeading = false;
    if (this.#timer) this.#d.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#resign();
  }

  /** A check that cannot be made (the store unreachable) does not let the node lead either. */
  async #mayLead(): Promise<boolean> {
    try {
      return (await this.#d.mayLead?.()) ?? true;
    } catch (error) {
      this.#d.logger.warn({ err: error }, 'could not check whether this node may lead');
      return false;
    }
  }

  async #resign(): Promise<void> {
    const fence = this.fence;
    this.#held = undefined;
    if (fence) await this.#d.store.releaseLeadership(fence).catch(() => undefined);
  }
}
