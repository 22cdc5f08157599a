import { coreMigrations } from './core-migrations.js';
import { migrateMigrations } from '../migrate/migrate-migrations.js';
import { busMigrations } from '../bus/bus-migrations.js';
import { conflictMigrations } from '../conflicts/migrations.js';
import { engineMigrations } from '../engines/engine-migrations.js';
import type { Migration } from './migration.js';

/** Every module's migrations, in the order they apply. Modules add their list here. */
export const ALL_MIGRATIONS: Migration[] = [...coreMigrations, ...migrateMigrations, ...busMigrations, ...conflictMigrations, ...engineMigrations].sort((a, b) => a.name.localeCompare(b.name));
