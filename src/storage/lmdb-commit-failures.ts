/**
 * When a commit fails (the drive turned read-only, or failed), lmdb rejects the writer's promise,
 * which our callers handle, and also an internal promise of its own that nothing can reach. Left
 * alone, that second rejection ends the process: one failing drive would take every drive of the
 * node down with it. This listener drops exactly those (they carry lmdb's `commitError`) and leaves
 * every other unhandled rejection as fatal as Node makes it by default.
 */
let installed = false;

function isLmdbCommitFailure(reason: unknown): boolean {
  return reason instanceof Error && 'commitError' in reason && reason.message.startsWith('Commit failed');
}

export function tolerateLmdbCommitFailures(): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (reason) => {
    if (isLmdbCommitFailure(reason)) {
      (reason as { commitError?: Promise<unknown> }).commitError?.catch(() => undefined);
      return;
    }
    throw reason;
  });
}
