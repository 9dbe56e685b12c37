/**
 * The safeguards between a runbook and the platform, as one decision: may this action run now? In order:
 * dry-run (decide and record only), the cooldown per target (another incident acted on the same service
 * recently: a person should look, not a second restart), the cap on actions per hour (a healer that keeps
 * acting is making things worse), and approval for disruptive actions. Paging is never held back.
 */

export interface SafeguardPolicy {
  readonly dryRun: boolean;
  readonly approval: 'none' | 'disruptive';
  readonly cooldownMs: number;
  readonly maxActionsPerHour: number;
}

/** What the audit log says about recent executions (read in the same critical section as the decision). */
export interface RecentActions {
  /** Actions executed (not paging) in the hour before now. */
  readonly executedLastHour: number;
  /** When another incident last executed an action on this target; null if never. */
  readonly lastOnTargetByOtherIncident: Date | null;
}

export type Decision =
  | { readonly kind: 'execute' }
  | { readonly kind: 'dry-run'; readonly reason: string }
  | { readonly kind: 'cooldown'; readonly reason: string }
  | { readonly kind: 'cap-reached'; readonly reason: string }
  | { readonly kind: 'awaiting-approval'; readonly reason: string };

export function decide(
  action: { readonly disruptive: boolean; readonly approved?: boolean },
  recent: RecentActions,
  policy: SafeguardPolicy,
  now: Date,
): Decision {
  if (policy.dryRun) return { kind: 'dry-run', reason: 'dry-run mode: decided and recorded, not executed' };
  const last = recent.lastOnTargetByOtherIncident;
  if (last !== null && now.getTime() - last.getTime() < policy.cooldownMs) {
    const left = Math.ceil((policy.cooldownMs - (now.getTime() - last.getTime())) / 1000);
    return {
      kind: 'cooldown',
      reason: `the target was acted on at ${last.toISOString()}; cooldown ${policy.cooldownMs / 1000} s (${left} s left)`,
    };
  }
  if (recent.executedLastHour >= policy.maxActionsPerHour) {
    return {
      kind: 'cap-reached',
      reason: `${recent.executedLastHour} actions in the last hour (cap ${policy.maxActionsPerHour})`,
    };
  }
  if (policy.approval === 'disruptive' && action.disruptive && action.approved !== true) {
    return { kind: 'awaiting-approval', reason: 'a disruptive action waits for approval' };
  }
  return { kind: 'execute' };
}
