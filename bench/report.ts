/** Formatting of the bench's tables and summary. */
export const int = (n: number): string => Math.round(n).toLocaleString('en-US');
export const ms = (n: number): string => (n >= 100 ? int(n) : n.toFixed(1));
export const secs = (msValue: number): string => (msValue / 1000).toFixed(2);
export const mib = (bytes: number): string => (bytes / 1048576).toFixed(1);
export const verdict = (met: boolean): string => (met ? 'MET' : 'NOT MET');

/** The median; of an even count, the mean of the two middle values. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
}

/** A plain text table: the first row is the header, columns padded to their widest cell. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => '  ' + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const [head, ...body] = rows;
  return [line(head!), '  ' + widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function section(title: string): string {
  return `\n-- ${title} --`;
}
