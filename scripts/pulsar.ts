/**
 * The real Apache Pulsar of the tests (and of anyone who wants one on this machine): the server distribution
 * `org.apache.pulsar:pulsar-server-distribution:<v>:tar.gz:bin` from Maven Central, fetched once with Maven (checksums
 * enforced: `--strict-checksums` against the registry's .sha1) into the machine's cache, and started as the
 * distribution starts it (`bin/pulsar standalone`: RocksDB metadata store, one bookie in the same JVM, ensemble /
 * write / ack quorum 1 as conf/standalone.conf has them), with the Functions worker on the thread runtime and the
 * `pulsar-io-kafka` connector NAR in its connectors folder.
 *
 * Version: the chart the program deploys defaults to Apache Pulsar 4.0.12 (topology/config-schema.ts), but the
 * registry this project's machines reach serves the 4.0 line's broker and distribution at 4.0.0-4.0.8 only (4.0.3
 * and 4.0.9-4.0.13 are refused), so the fixture runs 4.0.8, the newest 4.0.x served: the same minor line, whose admin
 * REST API and topic semantics are what the tools rely on.
 *
 * The Kafka protocol handler: neither StreamNative's `io.streamnative.pulsar.handlers:pulsar-protocol-handler-kafka`
 * nor DataStax's `com.datastax.oss:pulsar-protocol-handler-kafka` is served here (every 4.0.x version of both,
 * including 4.0.6.5 and 4.0.3.3/4.0.3.8 whose registry pages exist, answers 404), so the fixture has no KoP
 * listener; `fixtureBrokerConfig` says which of the plan's broker keys that leaves out.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { PrerequisiteError } from "./run-main";
import { parse, stringify } from "yaml";
import { MAX_PHASE, type PhaseId, type Topology } from "../topology";
import { freePort } from "./kfake";

export const PULSAR_VERSION = "4.0.8";
const DISTRIBUTION = (v: string) => `org.apache.pulsar:pulsar-server-distribution:${v}:tar.gz:bin`;
/** The Pulsar IO Kafka connector: a NAR published under a .jar name (the nifi-nar plugin of pulsar-io/kafka/pom.xml). */
const KAFKA_CONNECTOR = (v: string) => `org.apache.pulsar:pulsar-io-kafka:${v}:jar`;
/** Pinned so that `copy` behaves the same whatever Maven's default dependency plugin is. */
const DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1";

/** The cache: ${MP_PULSAR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/messaging-platform/pulsar}. */
function cacheDir(): string {
    return process.env.MP_PULSAR_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "messaging-platform", "pulsar");
}

function mavenCopy(artifact: string, dir: string, log: (line: string) => void): void {
    log(`fetching ${artifact} from Maven Central`);
    const run = spawnSync("mvn", ["-B", "-q", "--strict-checksums", `${DEPENDENCY_PLUGIN}:copy`, `-Dartifact=${artifact}`, `-DoutputDirectory=${dir}`], {
        encoding: "utf8",
        timeout: 15 * 60_000,
    });
    if ((run.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
        throw new PrerequisiteError("the mvn command is not on PATH: Maven 3 (with Java 17) fetches Apache Pulsar from Maven Central the first time (Debian: apt-get install maven; README, \"Set up\")");
    }
    if (run.error || run.status !== 0) {
        const why = run.error ? run.error.message : `${run.stdout}${run.stderr}`.split("\n").find((l) => /ERROR/.test(l)) ?? `exit ${run.status}`;
        throw new Error(`mvn could not fetch ${artifact} (Maven 3 and Maven Central are needed the first time): ${why.trim()}`);
    }
}

/**
 * The distribution's folder (bin/, conf/, lib/, connectors/), fetched and unpacked once per version. Unpacked under a
 * private name and renamed, so a concurrent run never sees half a tree.
 */
export function pulsarHome(version = PULSAR_VERSION, log: (line: string) => void = (l) => process.stderr.write(`pulsar: ${l}\n`)): string {
    const home = join(cacheDir(), version, `apache-pulsar-${version}`);
    if (existsSync(join(home, ".ok"))) {
        return home;
    }
    const started = Date.now();
    const work = join(cacheDir(), version, `.work-${process.pid}`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    try {
        mavenCopy(DISTRIBUTION(version), work, log);
        const archive = join(work, `pulsar-server-distribution-${version}-bin.tar.gz`);
        const untar = spawnSync("tar", ["xzf", archive, "-C", work], { encoding: "utf8" });
        if (untar.status !== 0) {
            throw new Error(`tar could not unpack ${archive}: ${untar.stderr}`);
        }
        const unpacked = join(work, `apache-pulsar-${version}`);
        mkdirSync(join(unpacked, "connectors"), { recursive: true });
        mavenCopy(KAFKA_CONNECTOR(version), work, log);
        // The worker loads connectors by the .nar suffix.
        renameSync(join(work, `pulsar-io-kafka-${version}.jar`), join(unpacked, "connectors", `pulsar-io-kafka-${version}.nar`));
        writeFileSync(join(unpacked, ".ok"), `${DISTRIBUTION(version)} + ${KAFKA_CONNECTOR(version)}\n`);
        rmSync(home, { recursive: true, force: true });
        renameSync(unpacked, home);
        log(`Apache Pulsar ${version} installed in ${home} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
    return home;
}

/** Broker keys the KoP protocol handler reads: the fixture cannot load the handler (see the file's header). */
const KOP_KEY = /^(PULSAR_PREFIX_(kafka|kop|entryFormat)|messagingProtocols$|protocolHandlerDirectory$)/;

/**
 * The broker settings a plan gives its brokers (`pulsar.kop.brokerConfig`: chart keys, PULSAR_PREFIX_ for keys the
 * chart does not template), as standalone.conf keys: everything but the handler's own keys, which are returned apart.
 */
export function fixtureBrokerConfig(planned: Record<string, string>): { applied: Record<string, string>; leftOut: string[] } {
    const applied: Record<string, string> = {};
    const leftOut: string[] = [];
    for (const [key, value] of Object.entries(planned)) {
        if (KOP_KEY.test(key)) {
            leftOut.push(key);
        } else {
            applied[key.replace(/^PULSAR_PREFIX_/, "")] = value;
        }
    }
    return { applied, leftOut };
}

/**
 * The broker settings a stack's plan gives its brokers where Pulsar first runs (the lowest phase whose plan has
 * Pulsar), merged as the chart values merge them (KoP's, then the cluster's own: components/pulsar-chart-values.ts),
 * as fixtureBrokerConfig makes them standalone.conf keys. What the test world's brokers run with.
 */
export function plannedBrokerConfig(planAt: (phase: PhaseId) => Topology): { phase: PhaseId; applied: Record<string, string>; leftOut: string[] } {
    for (let phase = 0 as PhaseId; phase <= MAX_PHASE; phase++) {
        const p = planAt(phase).pulsar;
        if (p) {
            return { phase, ...fixtureBrokerConfig({ ...p.kop.brokerConfig, ...p.brokerConfig }) };
        }
    }
    throw new Error("plannedBrokerConfig: no phase of this stack runs Pulsar");
}

/** Token authentication and authorization, with TLS on the broker's and the web service's second ports. */
export interface PulsarAuth {
    /** The HS256 key tokens are signed with (components/pulsar-token.ts pulsarSigningKey). */
    signingKey: Uint8Array;
    /** The super user's role and its token (the broker's own clients log in with it). */
    superUser: string;
    superUserToken: string;
    /** PEMs: the server certificate (for 127.0.0.1 / localhost), its key (PKCS#8) and the CA that signed it. */
    tls?: { certPem: string; keyPem: string; caPem: string };
}

export interface PulsarOptions {
    /** The cluster's name (the `clusterName` key). @default "standalone" */
    clusterName?: string;
    /** Extra or replaced standalone.conf keys (the plan's broker settings, auth, TLS). */
    brokerConfig?: Record<string, string>;
    /** Start the Functions worker (thread runtime, the Kafka connector loaded). @default true */
    functions?: boolean;
    /** Token authentication and authorization (and TLS): the second profile. */
    auth?: PulsarAuth;
    /** JVM memory: `PULSAR_MEM`. @default "-Xms256m -Xmx1g -XX:MaxDirectMemorySize=1g" */
    memory?: string;
    readyTimeoutMs?: number;
    log?: (line: string) => void;
}

export interface Pulsar {
    version: string;
    clusterName: string;
    /** pulsar://127.0.0.1:<port> */
    serviceUrl: string;
    /** http://127.0.0.1:<port> (the admin REST API, the REST producer and the WebSocket API) */
    webUrl: string;
    /** With `auth.tls`: https://localhost:<port> and pulsar+ssl://localhost:<port>. */
    webUrlTls?: string;
    serviceUrlTls?: string;
    /** Seconds from spawn to ready. */
    startSeconds: number;
    /** The broker JVM's resident memory now and at its peak, in MiB (from /proc). */
    memoryMiB(): { rss: number; peak: number };
    /** The last lines of the broker's log, for error messages. */
    logTail(lines?: number): string;
    stop(): Promise<void>;
}

/** standalone.conf with `changes` applied: existing keys rewritten in place, new ones appended. */
export function withKeys(conf: string, changes: Record<string, string>): string {
    const pending = new Map(Object.entries(changes));
    const lines = conf.split("\n").map((line) => {
        const m = /^([A-Za-z0-9_.]+)=/.exec(line);
        if (m && pending.has(m[1] as string)) {
            const key = m[1] as string;
            const value = pending.get(key);
            pending.delete(key);
            return `${key}=${value}`;
        }
        return line;
    });
    return [...lines, ...[...pending].map(([k, v]) => `${k}=${v}`), ""].join("\n");
}

/** standalone.conf keys of the auth profile; the PEM files are written into `dir`. */
function authKeys(auth: PulsarAuth, dir: string, ports: { broker: number; web: number }): Record<string, string> {
    const keys: Record<string, string> = {
        authenticationEnabled: "true",
        authorizationEnabled: "true",
        authenticationProviders: "org.apache.pulsar.broker.authentication.AuthenticationProviderToken",
        tokenSecretKey: `data:;base64,${Buffer.from(auth.signingKey).toString("base64")}`,
        superUserRoles: auth.superUser,
        // The broker's own clients (the WebSocket service's, the namespace bundles') log in as the super user.
        brokerClientAuthenticationPlugin: "org.apache.pulsar.client.impl.auth.AuthenticationToken",
        brokerClientAuthenticationParameters: `token:${auth.superUserToken}`,
    };
    if (auth.tls) {
        writeFileSync(join(dir, "tls.crt"), auth.tls.certPem);
        writeFileSync(join(dir, "tls.key"), auth.tls.keyPem);
        writeFileSync(join(dir, "ca.crt"), auth.tls.caPem);
        Object.assign(keys, {
            brokerServicePortTls: String(ports.broker),
            webServicePortTls: String(ports.web),
            tlsCertificateFilePath: join(dir, "tls.crt"),
            tlsKeyFilePath: join(dir, "tls.key"),
            tlsTrustCertsFilePath: join(dir, "ca.crt"),
        });
    }
    return keys;
}

async function ready(webUrl: string, functions: boolean, token?: string): Promise<string | undefined> {
    try {
        const headers = token ? { authorization: `Bearer ${token}` } : undefined;
        const ns = await fetch(`${webUrl}/admin/v2/namespaces/public`, { headers, signal: AbortSignal.timeout(2000) });
        if (!ns.ok || !(await ns.text()).includes("public/default")) {
            return `GET /admin/v2/namespaces/public: HTTP ${ns.status}`;
        }
        if (functions) {
            const c = await fetch(`${webUrl}/admin/v3/functions/connectors`, { headers, signal: AbortSignal.timeout(2000) });
            const body = c.ok ? await c.text() : "";
            if (!body.includes('"kafka"')) {
                return `GET /admin/v3/functions/connectors: HTTP ${c.status}, no kafka connector yet`;
            }
        }
        return undefined;
    } catch (err) {
        return (err as Error).message;
    }
}

function memoryOf(pid: number | undefined): { rss: number; peak: number } {
    try {
        const status = readFileSync(`/proc/${pid}/status`, "utf8");
        const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
        return { rss: Math.round(kib("VmRSS") / 1024), peak: Math.round(kib("VmHWM") / 1024) };
    } catch {
        return { rss: 0, peak: 0 };
    }
}

/** Whether a process of this machine is still running. */
export function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

/**
 * A folder for one broker's configuration, data and logs, under the cache's runs/ (`<pid>-*`), removed on stop.
 * Folders of runs whose process is gone (a killed test run) are removed first.
 */
function runDir(): string {
    const runs = join(cacheDir(), "runs");
    mkdirSync(runs, { recursive: true });
    for (const name of readdirSync(runs)) {
        if (!processAlive(Number(name.split("-")[0]))) {
            rmSync(join(runs, name), { recursive: true, force: true });
        }
    }
    return mkdtempSync(join(runs, `${process.pid}-`));
}

/**
 * Starts one standalone broker on free loopback ports, in a folder of its own (runDir) removed on stop, and waits
 * until its admin API lists public/default (and, with the worker, until the Kafka connector is loaded). The broker
 * is ended with this process too: a watchdog shell stops it when its parent is gone, so a killed test run leaves no
 * broker behind.
 */
export async function startPulsar(opts: PulsarOptions = {}): Promise<Pulsar> {
    const log = opts.log ?? ((l: string) => process.stderr.write(`pulsar: ${l}\n`));
    const home = pulsarHome(PULSAR_VERSION, log);
    // The Functions worker is not started with auth: the worker would need its own login settings, and no test needs both.
    const functions = opts.auth ? false : (opts.functions ?? true);
    const clusterName = opts.clusterName ?? "standalone";
    const dir = runDir();
    // NARs (the connector's, the functions' packages) are unpacked once per version, not into /tmp (the default).
    const narDir = join(cacheDir(), PULSAR_VERSION, "nar");
    const [brokerPort, webPort, bookiePort, brokerTlsPort, webTlsPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const conf = withKeys(readFileSync(join(home, "conf/standalone.conf"), "utf8"), {
        clusterName,
        bindAddress: "127.0.0.1",
        advertisedAddress: "127.0.0.1",
        brokerServicePort: String(brokerPort),
        webServicePort: String(webPort),
        narExtractionDirectory: narDir,
        ...(opts.auth ? authKeys(opts.auth, dir, { broker: brokerTlsPort, web: webTlsPort }) : {}),
        ...opts.brokerConfig,
    });
    writeFileSync(join(dir, "standalone.conf"), conf);
    const args = ["standalone", "-nss", "--metadata-dir", join(dir, "metadata"), "--bookkeeper-dir", join(dir, "bookkeeper"), "--bookkeeper-port", String(bookiePort)];
    if (functions) {
        const worker = parse(readFileSync(join(home, "conf/functions_worker.yml"), "utf8")) as Record<string, unknown>;
        worker.functionRuntimeFactoryClassName = "org.apache.pulsar.functions.runtime.thread.ThreadRuntimeFactory";
        worker.functionRuntimeFactoryConfigs = { threadGroupName: "pulsar-functions" };
        worker.connectorsDirectory = join(home, "connectors");
        worker.downloadDirectory = join(dir, "functions-download");
        worker.narExtractionDirectory = narDir;
        writeFileSync(join(dir, "functions_worker.yml"), stringify(worker));
        args.push("-fwc", join(dir, "functions_worker.yml"));
    } else {
        args.push("-nfw");
    }
    const env = {
        ...process.env,
        PULSAR_STANDALONE_CONF: join(dir, "standalone.conf"),
        PULSAR_LOG_DIR: join(dir, "logs"),
        PULSAR_MEM: opts.memory ?? "-Xms256m -Xmx1g -XX:MaxDirectMemorySize=1g",
        // The distribution's default (ZGC with AlwaysPreTouch) touches the whole heap at start: slow on 2 cores.
        PULSAR_GC: "-XX:+UseG1GC",
    };
    const started = Date.now();
    // The watchdog: the broker runs in the background of a shell that ends it when this process (its parent's pid) is
    // gone, and that forwards a TERM to it.
    const script = `"$@" & b=$!; trap 'kill -TERM $b 2>/dev/null; wait $b; exit' TERM INT; while kill -0 ${process.pid} 2>/dev/null && kill -0 $b 2>/dev/null; do sleep 1; done; kill -TERM $b 2>/dev/null; wait $b`;
    const child: ChildProcess = spawn("bash", ["-c", script, "pulsar", join(home, "bin/pulsar"), ...args], { cwd: dir, env, stdio: ["ignore", "ignore", "ignore"] });
    const logFile = join(dir, "logs", "pulsar-standalone.log");
    const logTail = (lines = 30) => (existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").slice(-lines).join("\n") : "(no log yet)");
    const javaPid = (): number | undefined => {
        const r = spawnSync("pgrep", ["-P", String(child.pid), "-f", "PulsarStandaloneStarter"], { encoding: "utf8" });
        const pid = Number(r.stdout.trim().split("\n")[0]);
        return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    };
    const stop = () =>
        new Promise<void>((ok) => {
            const done = () => {
                rmSync(dir, { recursive: true, force: true });
                ok();
            };
            if (child.exitCode !== null || child.signalCode !== null) {
                return done();
            }
            const kill = setTimeout(() => {
                const pid = javaPid();
                if (pid) {
                    process.kill(pid, "SIGKILL");
                }
            }, 20_000);
            child.once("exit", () => {
                clearTimeout(kill);
                done();
            });
            child.kill("SIGTERM");
        });
    const deadline = started + (opts.readyTimeoutMs ?? 120_000);
    let why: string | undefined = "not started";
    while (Date.now() < deadline) {
        if (child.exitCode !== null) {
            const tail = logTail();
            await stop();
            throw new Error(`Apache Pulsar ${PULSAR_VERSION} exited ${child.exitCode} before it was ready. Last log lines:\n${tail}`);
        }
        why = await ready(`http://127.0.0.1:${webPort}`, functions, opts.auth?.superUserToken);
        if (!why) {
            break;
        }
        await new Promise((r) => setTimeout(r, 250));
    }
    if (why) {
        const tail = logTail();
        await stop();
        throw new Error(`Apache Pulsar ${PULSAR_VERSION} was not ready within ${opts.readyTimeoutMs ?? 120_000} ms (${why}). Last log lines:\n${tail}`);
    }
    const startSeconds = (Date.now() - started) / 1000;
    const pid = javaPid();
    log(
        `Apache Pulsar ${PULSAR_VERSION} standalone "${clusterName}" ready in ${startSeconds.toFixed(1)} s: pulsar://127.0.0.1:${brokerPort}, ` +
            `http://127.0.0.1:${webPort}${opts.auth?.tls ? `, https://localhost:${webTlsPort}` : ""}${opts.auth ? ", token authentication and authorization" : ""}` +
            `${functions ? ", Functions worker (thread runtime) with the kafka connector" : ""}; ${memoryOf(pid).rss} MiB resident`,
    );
    return {
        version: PULSAR_VERSION,
        clusterName,
        serviceUrl: `pulsar://127.0.0.1:${brokerPort}`,
        webUrl: `http://127.0.0.1:${webPort}`,
        ...(opts.auth?.tls ? { webUrlTls: `https://localhost:${webTlsPort}`, serviceUrlTls: `pulsar+ssl://localhost:${brokerTlsPort}` } : {}),
        startSeconds,
        memoryMiB: () => memoryOf(pid),
        logTail,
        stop: async () => {
            const m = memoryOf(pid);
            await stop();
            log(`Apache Pulsar "${clusterName}" stopped (peak resident memory ${m.peak} MiB)`);
        },
    };
}
