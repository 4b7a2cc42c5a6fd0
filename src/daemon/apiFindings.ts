import type { NamespaceFindings } from './namespaceFindings.js';

export interface ServeFindingsBody {
  schema: 'ctdoctor.serve-findings/v1';
  /** One entry per namespace the --analyze-interval worker analysed last, most severe first within each. */
  namespaces: NamespaceFindings[];
}

export function serveFindingsBody(namespaces: readonly NamespaceFindings[]): ServeFindingsBody {
  return { schema: 'ctdoctor.serve-findings/v1', namespaces: [...namespaces] };
}
