/**
 * vitest global setup of both tiers: what the tests started on this machine is stopped when they end. RabbitMQ is
 * started on demand by scripts/engine/rabbitmq.sh (installed first where it is missing), which leaves a marker when
 * it was the one to start it; a broker that was already running before the tests is left alone. (The Pulsar fixture
 * stops itself: test/support/pulsar.ts.)
 */
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

const marker = () =>
    process.env.MP_RABBITMQ_STARTED_MARKER ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "messaging-platform", "rabbitmq-started-by-tests");

export default function setup(): () => void {
    return () => {
        if (!existsSync(marker())) {
            return;
        }
        const stop = spawnSync("rabbitmqctl", ["-q", "stop"], { encoding: "utf8", timeout: 60_000 });
        rmSync(marker(), { force: true });
        process.stderr.write(stop.status === 0 ? "rabbitmq: stopped (the tests started it)\n" : `rabbitmq: 'rabbitmqctl stop' failed: ${stop.stderr || stop.error?.message}\n`);
    };
}
