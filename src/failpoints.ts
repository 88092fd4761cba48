/**
 * Named points in the write path where a test can make something happen: a pause that lets another
 * request overtake, an error, a crash. They are inert unless a test arms them; an unarmed point costs
 * one map-size check. (A leaf module: every layer may name a point.)
 */
export type FailpointAction = (name: string) => Promise<void> | void;

const armed = new Map<string, FailpointAction>();

/** Runs the action armed at `name`, if any. */
export async function failpoint(name: string): Promise<void> {
  if (armed.size === 0) return;
  await armed.get(name)?.(name);
}

/** Arms `name` with `action` until the returned function is called. */
export function armFailpoint(name: string, action: FailpointAction): () => void {
  armed.set(name, action);
  return () => {
    if (armed.get(name) === action) armed.delete(name);
  };
}
