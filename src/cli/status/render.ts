/** Prints a StatusReport as kubectl-style tables (`-o table`), JSON or YAML. */
import { stringify } from 'yaml';
import type { StatusReport } from './report.ts';

export const STATUS_OUTPUTS = ['table', 'json', 'yaml'] as const;
export type StatusOutput = (typeof STATUS_OUTPUTS)[number];

export function renderStatus(report: StatusReport, output: StatusOutput): string {
  if (output === 'json') return JSON.stringify(report, null, 2) + '\n';
  if (output === 'yaml') return stringify(report);
  return renderTable(report);
}

/** Columns padded like kubectl's printer: three spaces between columns, no trailing spaces. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 3)))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

const counts = (c: Readonly<Record<string, number>>): string =>
  Object.keys(c).length === 0
    ? 'none'
    : Object.entries(c)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${v} ${k}`)
        .join(', ');

/** One line of a command's output, its last bytes, with newlines shown as ⏎. */
const tail = (text: string | undefined): string => (text ? JSON.stringify(text.trimEnd().slice(-60)) : '');

function renderTable(r: StatusReport): string {
  const out: string[] = [];
  const { restore } = r;
  out.push(
    `Restore ${restore.namespace}/${restore.name}: phase ${restore.phase || '(none yet)'}, hooks attempted ${restore.hooksAttempted}, failed ${restore.hooksFailed}`,
  );
  out.push(
    `Covered: ${r.summary.workloads} workload(s), ${r.summary.pods} pod(s); init hooks: ${counts(r.summary.initHooks)}; exec hooks: ${counts(r.summary.execHooks)}`,
  );
  for (const c of restore.conditions)
    out.push(
      `Condition ${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`,
    );
  for (const e of r.restoreEvents)
    out.push(`Event ${e.reason}: ${e.message}${e.count > 1 ? ` (x${e.count})` : ''}`);

  out.push('', 'WORKLOADS');
  out.push(
    r.workloads.length === 0
      ? '(none restored)'
      : table(
          ['KIND', 'NAMESPACE', 'NAME', 'COVERED BY', 'INIT HOOKS', 'PODS'],
          r.workloads.map((w) => [
            w.kind,
            w.namespace,
            w.name,
            w.cleanedUp ? 'template (removed after restore)' : w.coverage,
            w.initHooks.join(',') || '-',
            String(w.pods),
          ]),
        ),
  );

  out.push('', 'PODS');
  out.push(
    r.pods.length === 0
      ? '(none)'
      : table(
          ['NAMESPACE', 'POD', 'PHASE', 'OWNER', 'COVERED BY', 'INIT HOOKS', 'EXEC HOOKS'],
          r.pods.map((p) => [
            p.namespace,
            p.name,
            p.phase,
            p.owner || '-',
            p.coverage,
            summarize(p.initHooks.map((h) => h.result)),
            summarize(p.execHooks.map((h) => h.result)),
          ]),
        ),
  );

  const initRows = r.pods.flatMap((p) =>
    p.initHooks.map((h) => [
      `${p.namespace}/${p.name}`,
      h.name,
      h.result,
      h.exitCode === undefined ? '' : String(h.exitCode),
      h.reason ?? '',
    ]),
  );
  if (initRows.length > 0) {
    out.push('', 'INIT HOOKS');
    out.push(table(['POD', 'HOOK', 'RESULT', 'EXIT', 'REASON'], initRows));
  }
  const execRows = r.pods.flatMap((p) =>
    p.execHooks.map((h) => [
      `${p.namespace}/${p.name}`,
      h.container,
      h.id,
      h.result,
      String(h.attempts),
      h.exitCode === undefined ? '' : String(h.exitCode),
      h.reason ?? '',
      tail(h.stdout),
      tail(h.stderr),
    ]),
  );
  if (execRows.length > 0) {
    out.push('', 'EXEC HOOKS');
    out.push(
      table(
        ['POD', 'CONTAINER', 'HOOK', 'RESULT', 'ATTEMPTS', 'EXIT', 'REASON', 'STDOUT', 'STDERR'],
        execRows,
      ),
    );
  }
  const broken = r.pods.filter((p) => p.recordProblem);
  if (r.skipped.length > 0 || broken.length > 0) {
    out.push('', 'SKIPPED OR INVALID');
    out.push(
      table(
        ['OBJECT', 'REASON', 'FIELD', 'MESSAGE'],
        [
          ...r.skipped.map((s) => [s.object, s.reason, s.field ?? '', s.message]),
          ...broken.map((p) => [`Pod/${p.namespace}/${p.name}`, 'MalformedRecord', '', p.recordProblem!]),
        ],
      ),
    );
  }
  out.push('', r.pending.length === 0 ? 'PENDING: nothing' : 'PENDING');
  for (const p of r.pending) out.push(`  ${p}`);
  return out.join('\n') + '\n';
}

function summarize(results: readonly string[]): string {
  if (results.length === 0) return '-';
  const ok = results.filter((x) => x === 'Succeeded').length;
  const failed = results.filter((x) => x === 'Failed').length;
  return `${ok}/${results.length} succeeded${failed > 0 ? `, ${failed} failed` : ''}`;
}
