/**
 * How a process started by Glassbox's supervisor (`glassbox start`) learns that the supervisor is gone. The
 * supervisor starts every service and the observatory with an IPC channel, as Node's cluster module starts its
 * workers; nothing is ever sent over it. When the supervisor dies without stopping its children — SIGKILL, the
 * OOM killer, a crash — the channel closes. Nothing will restart, stop or read that process any more (its logs
 * went to the supervisor), so it stops as on SIGTERM instead of living on as an orphan that holds its port and
 * its database connections until the next `glassbox start` reaps it.
 *
 * A process started any other way (by hand, in a container, by a test) has no channel: nothing happens and the
 * answer is false.
 */
export function onSupervisorGone(stop: () => void, proc: NodeJS.Process = process): boolean {
  const channel = proc.channel;
  if (!channel) return false;
  // The channel alone must not keep the process alive: it ends when its work is done, as it would without one.
  channel.unref();
  proc.once('disconnect', stop);
  return true;
}
