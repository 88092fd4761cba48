/** Drive arguments: `{a...b}` ellipses expand (zero-padded when written so), the rest is taken as given. */

export class EndpointError extends Error {}

const ELLIPSIS = /\{(\d+)\.\.\.(\d+)\}/;

/** Expands every `{a...b}` in `arg`, left to right, into the cartesian product. */
export function expandEllipses(arg: string): string[] {
  const match = ELLIPSIS.exec(arg);
  if (!match) return [arg];
  const [whole, fromText, toText] = match;
  const from = Number(fromText);
  const to = Number(toText);
  if (to < from) throw new EndpointError(`invalid range ${whole} in ${arg}: the end is before the start`);
  const width = fromText.length > 1 && fromText.startsWith('0') ? fromText.length : 0;
  const head = arg.slice(0, match.index);
  const tail = arg.slice(match.index + whole.length);
  const out: string[] = [];
  for (let n = from; n <= to; n++) {
    for (const rest of expandEllipses(tail)) out.push(`${head}${String(n).padStart(width, '0')}${rest}`);
  }
  return out;
}

/** Local drive paths of a single-node deployment, from the command line's drive arguments. */
export function parseDriveArgs(args: string[]): string[] {
  const drives = args.flatMap(expandEllipses);
  for (const d of drives) {
    if (/^https?:\/\//.test(d)) {
      throw new EndpointError(`${d}: distributed endpoints (http://host:port/path) are not supported yet; give local paths`);
    }
  }
  const seen = new Set<string>();
  for (const d of drives) {
    if (seen.has(d)) throw new EndpointError(`drive ${d} is given twice`);
    seen.add(d);
  }
  return drives;
}
