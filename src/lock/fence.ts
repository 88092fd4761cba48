/**
 * Fence numbers: a hybrid clock (wall-clock microseconds, never repeating or going back within a
 * process). Every lock grant draws one; a distributed lock takes the greatest its quorum granted.
 * A later holder's grant comes from a node that also granted (or refused) the earlier holder, at
 * least a lease later, so its fence is greater as long as the nodes' clocks differ by less than a
 * lease (DESIGN §5).
 */
let last = 0;

export function nextFence(): number {
  last = Math.max(last + 1, Date.now() * 1000);
  return last;
}
