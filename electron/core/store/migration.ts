/** A schema step. Names sort into order ("001-core", "100-bus", "200-conflicts"); once shipped, never edited. */
export interface Migration {
  name: string;
  sql: string;
}
