import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './paths.js';

export const RULES_FILE = join(REPO_ROOT, 'deploy', 'prometheus', 'ctdoctor.rules.yml');
export const DASHBOARD_FILE = join(REPO_ROOT, 'deploy', 'grafana', 'ctdoctor.json');

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
}

export function ruleGroups(): { name: string; rules: Rule[] }[] {
  return (parse(readFileSync(RULES_FILE, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups;
}

export interface DashboardPanel {
  title: string;
  type: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
}

export interface Dashboard {
  panels: DashboardPanel[];
  templating: { list: { name: string; type: string; query: string | { query: string } }[] };
}

export function dashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
}

/** Every PromQL the dashboard runs: its panels' targets and its query variables, named for messages. */
export function dashboardQueries(): { where: string; expr: string }[] {
  const board = dashboard();
  return [
    ...board.panels.flatMap((panel) =>
      (panel.targets ?? []).map((t) => ({ where: panel.title, expr: t.expr })),
    ),
    ...board.templating.list
      .filter((variable) => variable.type === 'query')
      .map((variable) => ({
        where: `$${variable.name}`,
        expr: typeof variable.query === 'string' ? variable.query : variable.query.query,
      })),
  ];
}

/**
 * The metric names a PromQL expression reads (ctdoctor's, and recording rules': `level:metric:op`).
 * Label names and functions never start with `ctdoctor_` nor hold a colon, so this needs no parser.
 */
export function metricsRead(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...withoutStrings.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
    .map((m) => m[0])
    .filter((name) => name.startsWith('ctdoctor_') || name.includes(':'));
}
