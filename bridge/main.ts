/**
 * The audit bridge's entry point (images/audit-bridge): settings from the environment, /healthz for the kubelet, a
 * clean stop on SIGTERM (sends in flight finish or stay unacknowledged for redelivery). A settings problem exits 2 with
 * a message that names the variable, never a stack trace.
 */
import { createServer } from "node:http";
import { AuditBridge } from "./audit-bridge";
import { SettingsError, readSettings } from "./settings";

async function main(): Promise<void> {
    const settings = readSettings(process.env);
    const bridge = new AuditBridge(settings);
    await bridge.start();
    const health = settings.healthPort
        ? createServer((req, res) => {
              const ok = req.url === "/healthz" && bridge.healthy();
              res.writeHead(ok ? 200 : 503, { "content-type": "application/json" });
              res.end(JSON.stringify({ healthy: bridge.healthy(), ...bridge.stats }));
          }).listen(settings.healthPort)
        : undefined;
    const shutdown = () => {
        health?.close();
        void bridge.stop();
    };
    process.once("SIGTERM", shutdown);
    process.once("SIGINT", shutdown);
}

main().catch((err: unknown) => {
    if (err instanceof SettingsError) {
        console.error(err.message);
        process.exit(2);
    }
    console.error(`audit-bridge: ${(err as Error).message}`);
    process.exit(1);
});
