import type { HiveApi } from '../../../../shared/contract/index';

// Placeholder until the conflicts page lands; its owner replaces this file.
export function ConflictsPage(_props: { api: HiveApi }) {
  return (
    <section className="page" aria-label="Conflicts">
      <h1 className="page-title">Conflicts</h1>
      <p className="muted">The merge-conflict review queue appears here.</p>
    </section>
  );
}
