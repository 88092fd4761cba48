/**
 * One page of a prefix as a table: its folders (links), then its objects (selectable, each opening
 * its details) or, when versions are shown, every version and delete marker; download and delete per row.
 */
import type { ObjectSummary, VersionSummary } from '../api/s3.js';
import { baseName, formatBytes, formatDate } from '../ui/format.js';
import { ActionsHeading } from '../ui/list-table.js';
import type { ObjectRef } from './object-detail.js';

export interface Listing {
  folders: string[];
  objects?: ObjectSummary[];
  versions?: VersionSummary[];
  next?: string;
}

/** What a delete confirmation is about: objects by key (the latest), or one version. */
export type Deletion = { keys: string[] } | { version: ObjectRef };

export function ListingTable({ prefix, listing, loading, problem, later, showVersions, selected, onSelect, onOpen, onDownload, onDelete, folderHref }: {
  prefix: string;
  listing?: Listing;
  loading: boolean;
  /** The listing failed (its error is shown above). */
  problem: boolean;
  /** Not the first page. */
  later: boolean;
  showVersions: boolean;
  selected: Set<string>;
  onSelect: (keys: Set<string>) => void;
  onOpen: (target: ObjectRef) => void;
  onDownload: (key: string, versionId?: string) => void;
  onDelete: (deletion: Deletion) => void;
  folderHref: (folder: string) => string;
}) {
  const objects = listing?.objects ?? [];
  const allSelected = objects.length > 0 && objects.every((o) => selected.has(o.key));
  const toggle = (key: string): void => {
    const next = new Set(selected);
    if (!next.delete(key)) next.add(key);
    onSelect(next);
  };
  return (
    <div class="table-wrap" aria-busy={loading}>
      <table class={`list objects${showVersions ? ' versions' : ''}`}>
        <thead>
          <tr>
            <th class="check">
              {!showVersions && <input type="checkbox" aria-label="Select all on this page" checked={allSelected} disabled={objects.length === 0} onChange={() => onSelect(allSelected ? new Set() : new Set(objects.map((o) => o.key)))} />}
            </th>
            <th>Name</th>
            {showVersions && <th>Version</th>}
            <th class="num">Size</th>
            <th>Last modified</th>
            <ActionsHeading />
          </tr>
        </thead>
        <tbody>
          {listing?.folders.map((folder) => (
            <tr key={`f:${folder}`} class="folder" data-prefix={folder}>
              <td class="check" />
              <td colSpan={showVersions ? 5 : 4}>
                <a href={folderHref(folder)} class="folder-link">
                  <span class="folder-icon" aria-hidden="true" />
                  {baseName(folder, prefix)}
                </a>
              </td>
            </tr>
          ))}
          {listing?.objects?.map((o) => (
            <tr key={`o:${o.key}`} class={`object${selected.has(o.key) ? ' selected' : ''}`} data-key={o.key}>
              <td class="check">
                <input type="checkbox" aria-label={`Select ${o.key}`} checked={selected.has(o.key)} onChange={() => toggle(o.key)} />
              </td>
              <td>
                <button type="button" class="link object-name" onClick={() => onOpen({ key: o.key })}>
                  {baseName(o.key, prefix)}
                </button>
              </td>
              <td class="num">{formatBytes(o.size)}</td>
              <td>{formatDate(o.lastModified)}</td>
              <td class="row-actions">
                <button type="button" data-action="download" aria-label={`Download ${o.key}`} onClick={() => onDownload(o.key)}>
                  Download
                </button>
                <button type="button" class="danger" data-action="delete" aria-label={`Delete ${o.key}`} onClick={() => onDelete({ keys: [o.key] })}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
          {listing?.versions?.map((v) => (
            <tr key={`v:${v.key}:${v.versionId}`} class={`version${v.deleteMarker ? ' delete-marker' : ''}`} data-key={v.key} data-version-id={v.versionId}>
              <td class="check" />
              <td>
                {v.deleteMarker ? (
                  <span class="muted">{baseName(v.key, prefix)}</span>
                ) : (
                  <button type="button" class="link object-name" onClick={() => onOpen({ key: v.key, versionId: v.versionId })}>
                    {baseName(v.key, prefix)}
                  </button>
                )}
              </td>
              <td class="version-id">
                <code>{v.versionId}</code> {v.latest && <span class="badge info">latest</span>} {v.deleteMarker && <span class="badge warn">delete marker</span>}
              </td>
              <td class="num">{v.deleteMarker ? '' : formatBytes(v.size)}</td>
              <td>{formatDate(v.lastModified)}</td>
              <td class="row-actions">
                {!v.deleteMarker && (
                  <button type="button" data-action="download" aria-label={`Download version ${v.versionId} of ${v.key}`} onClick={() => onDownload(v.key, v.versionId)}>
                    Download
                  </button>
                )}
                <button type="button" class="danger" data-action="delete-version" aria-label={`Delete version ${v.versionId} of ${v.key}`} onClick={() => onDelete({ version: { key: v.key, versionId: v.versionId } })}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
          {listing && listing.folders.length === 0 && (listing.objects ?? listing.versions ?? []).length === 0 && (
            <tr>
              <td colSpan={showVersions ? 6 : 5} class="empty">
                {later ? 'Nothing more here.' : 'Nothing here yet: upload files or drop them on this page.'}
              </td>
            </tr>
          )}
          {!listing && !problem && (
            <tr>
              <td colSpan={showVersions ? 6 : 5} class="empty">
                Loading…
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
