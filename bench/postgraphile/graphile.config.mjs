// PostGraphile 5.1.5, the peer of bench/run.sh: the Amber preset over the benchmark's
// database, with production settings (no GraphiQL, no watch mode, no plan explanations
// in answers) and a pool as large as the service's.
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

/** The database: the one bench/run.sh seeded (PG_URL), schema `public`. */
const connectionString = process.env.PG_URL ?? "postgres://postgres@127.0.0.1:5432/rg_bench";

/**
 * Connections in the pool: the service's DB_POOL_SIZE default (10), or what it is set to.
 * Idle connections are kept (node-postgres closes them after 10 s by default), as the
 * service's pool keeps its own: neither pays for reconnecting between scenarios.
 */
const poolSize = Number(process.env.DB_POOL_SIZE ?? 10);

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString,
      schemas: ["public"],
      poolConfig: { max: poolSize, idleTimeoutMillis: 0 },
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.PORT ?? 4181),
    graphqlPath: "/graphql",
    graphiql: false,
    graphqlOverGET: false,
    watch: false,
    websockets: false,
  },
  grafast: {
    explain: false,
  },
};

export default preset;
