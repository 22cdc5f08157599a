import { coreMigrations } from './core-migrations.js';
import type { Migration } from './migration.js';

/** Every module's migrations, in the order they apply. Modules add their list here. */
export const ALL_MIGRATIONS: Migration[] = [...coreMigrations].sort((a, b) => a.name.localeCompare(b.name));
