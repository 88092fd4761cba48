import type { Session } from '../api/session.js';

/** What every page of the shell is given: the session, and the route's segments after the page name. */
export interface PageProps {
  session: Session;
  params: string[];
}
