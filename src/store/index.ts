export { type OpenSecureStoreOptions, openSecureStore, type StorageConfig, storageConfigFromEnv } from './bootstrap.ts';
export {
  type ConnectionService,
  type ConnectionServiceOptions,
  createConnectionService,
  normalizeConnectionId,
  type RemoveResult,
  toSummary,
  type UpsertResult,
} from './connections.ts';
export type { AuditActor, ConnectionKind, IdempotencyStatus, JobStatus } from './entities.ts';
export { DEFAULT_NOTION_BASE_URL, type OAuthClientCredentials, type OAuthGrant } from './notion-api.ts';
export type {
  AuditEntry,
  AuditRepository,
  AuditRow,
  ConnectionRow,
  ConnectionRows,
  IdempotencyPut,
  IdempotencyRepository,
  IdempotencyRow,
  JobRepository,
  JobRow,
  OAuthStateRepository,
  OsStateRepository,
  UpsertKeyRepository,
} from './repositories.ts';
export {
  DEFAULT_DATA_DIR,
  maskDatabaseUrl,
  openStore,
  type Store,
  type StoreDriver,
  type StoreOptions,
} from './store.ts';
