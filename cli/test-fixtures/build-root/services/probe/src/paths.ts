// Relative to this source file, as the services locate their migrations.
export const migrationsDir = new URL('../migrations/', import.meta.url);
