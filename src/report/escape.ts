/**
 * Escaping for the HTML report. Everything that comes from a run's files (corpus
 * inputs and descriptions, crash output, strategy names, even syscall names) is
 * attacker-influenced bytes: it only ever reaches the page through `esc`.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value: escapes & < > " ' and makes control characters visible. */
export function esc(value: unknown): string {
  const text = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
  return text
    .replace(/[&<>"']/g, (c) => ENTITIES[c] as string)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** Shortens untrusted text for a table cell (the full text can go into a `title`). */
export function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
