/**
 * Locations as users write them: a directory path, or a URL with a scheme (`s3://bucket/prefix`).
 * path.join would fold the URL's "//" and path.resolve would make it relative to the working
 * directory, so the store joins and names locations only through these.
 */
import * as path from "node:path";

const URL_LOCATION = /^([a-z][a-z0-9+.-]*):\/\//;

/** The scheme of a URL location ("s3"), or undefined for a directory path. */
export function locationScheme(location: string): string | undefined {
  return URL_LOCATION.exec(location)?.[1];
}

/** Whether `location` is a URL (object storage) rather than a directory path. */
export function isUrlLocation(location: string): boolean {
  return locationScheme(location) !== undefined;
}

/** `location` + "/" + `name` (a path is joined as a path). */
export function joinLocation(location: string, name: string): string {
  if (!isUrlLocation(location)) return path.join(location, name);
  return location.endsWith("/") ? `${location}${name}` : `${location}/${name}`;
}

/** The last segment of a location. */
export function baseName(location: string): string {
  return path.basename(location);
}

/** The location that holds `location` (a path's directory, a URL's parent prefix). */
export function parentLocation(location: string): string {
  if (!isUrlLocation(location)) return path.dirname(location);
  const trimmed = location.replace(/\/+$/, "");
  const cut = trimmed.lastIndexOf("/");
  return cut > trimmed.indexOf("://") + 2 ? trimmed.slice(0, cut) : trimmed;
}

/** A directory path made absolute; a URL as given (without a trailing slash). */
export function normalizeLocation(location: string): string {
  return isUrlLocation(location) ? location.replace(/\/+$/, "") : path.resolve(location);
}
