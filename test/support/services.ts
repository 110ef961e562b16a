/**
 * vitest global setup of both tiers: what the tests started on this machine is stopped when they end. RabbitMQ is
 * started on demand by scripts/engine/rabbitmq.sh (installed first where it is missing), which leaves a marker when
 * it was the one to start it; a broker that was already running before the tests is left alone. Test runs that
 * overlap (two vitest processes on one machine), and the tools using it meanwhile (npm run drill), each register
 * (scripts/local-rabbitmq.ts registerRabbitUser), and only the last one to end stops it. (The
 * Pulsar fixture stops itself: test/support/pulsar.ts.)
 */
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { otherRabbitUsers, registerRabbitUser } from "../../scripts/local-rabbitmq";
import { processAlive } from "../../scripts/pulsar";

const cache = () => join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "messaging-platform");
const marker = () => process.env.MP_RABBITMQ_STARTED_MARKER ?? join(cache(), "rabbitmq-started-by-tests");

export default function setup(): () => void {
    const unregister = registerRabbitUser();
    return () => {
        unregister();
        if (!existsSync(marker()) || otherRabbitUsers(processAlive).length > 0) {
            return;
        }
        const stop = spawnSync("rabbitmqctl", ["-q", "stop"], { encoding: "utf8", timeout: 60_000 });
        rmSync(marker(), { force: true });
        process.stderr.write(stop.status === 0 ? "rabbitmq: stopped (the tests started it)\n" : `rabbitmq: 'rabbitmqctl stop' failed: ${stop.stderr || stop.error?.message}\n`);
    };
}
