/** Errors in words: what any failed call says to the user, and a failed load shown where its data would be. */
import { ApiError } from '../api/http.js';

/** An ApiError says what failed and why (and the permission a refusal needs); anything else its message. */
export function describeError(error: unknown): string {
  return error instanceof ApiError ? error.describe() : error instanceof Error ? error.message : String(error);
}

/** A refused or failed load, said where the data would be. */
export function LoadError({ error, what }: { error: unknown; what: string }) {
  if (!error) return null;
  return (
    <p class="banner banner-error" role="alert">
      {what}: {describeError(error)}
    </p>
  );
}
