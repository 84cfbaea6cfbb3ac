import { createHash } from 'node:crypto';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The image reference as containerd reports it: `alpine` → `docker.io/library/alpine:latest`. */
export function normalizeImage(image: string): string {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const firstSlash = name.indexOf('/');
  const first = firstSlash >= 0 ? name.slice(0, firstSlash) : '';
  const hasRegistry =
    firstSlash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let repo = hasRegistry ? name : firstSlash >= 0 ? `docker.io/${name}` : `docker.io/library/${name}`;
  if (at >= 0) return `${repo}${image.slice(at)}`;
  const lastSegment = repo.slice(repo.lastIndexOf('/') + 1);
  if (!lastSegment.includes(':')) repo += ':latest';
  return repo;
}

/** A stable digest reference for an image, as `imageID` shows it: `docker.io/library/alpine@sha256:…`. */
export function imageID(image: string): string {
  const normalized = normalizeImage(image);
  const at = normalized.indexOf('@');
  if (at >= 0) return normalized;
  const repo = normalized.slice(0, normalized.lastIndexOf(':'));
  return `${repo}@sha256:${sha256(normalized)}`;
}

/** A stable container ID per pod, container and attempt. */
export function containerID(podUID: string, container: string, attempt: number): string {
  return `containerd://${sha256(`${podUID}/${container}/${attempt}`)}`;
}
