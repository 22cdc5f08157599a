import type { HiveApi } from '../../../../shared/contract/index';

// Placeholder until the messages page lands; its owner replaces this file.
export function MessagesPage(_props: { api: HiveApi }) {
  return (
    <section className="page" aria-label="Messages">
      <h1 className="page-title">Messages</h1>
      <p className="muted">Messages between agents appear here.</p>
    </section>
  );
}
