/**
 * When the health board's rounds of checks run: on its Durable Object alarm, armed on first use (so a
 * fresh deployment starts checking with its first request), every HEALTH_INTERVAL_MS counted from the
 * start of a round, and at once when failures ask for a check. The alarm always re-arms, even when a
 * round throws. One per board; it owns whether a round runs now.
 */
export class CheckSchedule {
  /** Set while a round of checks runs: whether a check was asked for meanwhile. */
  private round: { checkAgain: boolean } | undefined;

  /** `intervalMs` is read at the end of each round (the config may change at runtime). */
  constructor(
    private readonly storage: Pick<DurableObjectStorage, 'getAlarm' | 'setAlarm'>,
    private readonly intervalMs: () => number,
  ) {}

  /** Command, for the alarm: runs one round (`check`, sent at the round's start), then arms the next. */
  async runRound(check: (sentAt: number) => Promise<void>): Promise<void> {
    const started = Date.now();
    const round = { checkAgain: false };
    this.round = round;
    try {
      await check(started);
    } finally {
      // Counted from the start of this round, so a round of timed-out checks does not stretch the
      // interval: a hung node is down within HEALTH_INTERVAL_MS x HEALTH_FALL + HEALTH_TIMEOUT_MS.
      // A check asked for during the round (failures reached HEALTH_FALL) runs right after it: its
      // probes were sent before those failures and could not confirm them.
      const next = round.checkAgain ? Date.now() : started + this.intervalMs();
      if (this.round === round) this.round = undefined;
      await this.storage.setAlarm(Math.max(next, Date.now()));
    }
  }

  /** Command: arms the alarm now if nothing is armed (the board's first use, or after a reset). */
  async arm(): Promise<void> {
    if ((await this.storage.getAlarm()) === null) await this.storage.setAlarm(Date.now());
  }

  /** Command: brings the next round forward to now (right after the current one, if one runs). */
  async soon(): Promise<void> {
    if (this.round) {
      // getAlarm() is null while the alarm runs, and the round's end sets the next one: tell it.
      this.round.checkAgain = true;
      return;
    }
    const next = await this.storage.getAlarm();
    if (next === null || next > Date.now()) await this.storage.setAlarm(Date.now());
  }
}
