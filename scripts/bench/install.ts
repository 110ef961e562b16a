/**
 * Cold `npm ci`: the lockfile installed into a scratch directory with an empty npm cache (so every tarball is
 * fetched), with the flags CI uses (.ci/run), timed; then the sizes of what it fetched and installed.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface InstallResult {
    wallMs: number;
    /** Bytes under node_modules (file sizes, not blocks). */
    nodeModulesBytes: number;
    /** Bytes in the npm cache afterwards: roughly what was downloaded. */
    cacheBytes: number;
    /** The largest top-level packages under node_modules, largest first. */
    largest: { name: string; bytes: number }[];
    /** Packages in package-lock.json (every `node_modules/...` entry). */
    lockedPackages: number;
    registry: string;
    npmVersion: string;
}

/** Total size of the files below `dir` (symbolic links not followed). */
export function directoryBytes(dir: string): number {
    let total = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(entry.parentPath, entry.name);
        if (entry.isDirectory()) {
            total += directoryBytes(path);
        } else {
            total += lstatSync(path).size;
        }
    }
    return total;
}

/** Top-level packages of a node_modules directory (`@scope/name` for scoped ones) with their sizes, largest first. */
export function packageSizes(nodeModules: string): { name: string; bytes: number }[] {
    const out: { name: string; bytes: number }[] = [];
    for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
        if (!entry.isDirectory() || entry.name.startsWith(".")) {
            continue;
        }
        const dir = join(nodeModules, entry.name);
        if (entry.name.startsWith("@")) {
            for (const scoped of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
                out.push({ name: `${entry.name}/${scoped.name}`, bytes: directoryBytes(join(dir, scoped.name)) });
            }
        } else {
            out.push({ name: entry.name, bytes: directoryBytes(dir) });
        }
    }
    return out.sort((a, b) => b.bytes - a.bytes);
}

/** The number of installed-package entries of a package-lock.json (lockfileVersion 2 or 3). */
export function lockedPackageCount(lockfile: string): number {
    const lock = JSON.parse(lockfile) as { packages?: Record<string, unknown> };
    return Object.keys(lock.packages ?? {}).filter((k) => k.includes("node_modules/")).length;
}

export function coldInstall(root: string): InstallResult {
    const scratch = mkdtempSync(join(tmpdir(), "bench-npm-ci-"));
    try {
        const project = join(scratch, "project");
        const cache = join(scratch, "npm-cache");
        mkdirSync(project);
        for (const f of ["package.json", "package-lock.json"]) {
            copyFileSync(join(root, f), join(project, f));
        }
        const start = performance.now();
        const run = spawnSync("npm", ["ci", "--no-audit", "--no-fund", "--cache", cache], { cwd: project, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
        const wallMs = performance.now() - start;
        if (run.status !== 0) {
            throw new Error(`npm ci in ${project} exited ${run.status}:\n${(run.stderr ?? "").split("\n").slice(-15).join("\n")}`);
        }
        const npm = (...args: string[]) => execFileSync("npm", args, { cwd: project, encoding: "utf8" }).trim();
        return {
            wallMs,
            nodeModulesBytes: directoryBytes(join(project, "node_modules")),
            largest: packageSizes(join(project, "node_modules")).slice(0, 6),
            cacheBytes: directoryBytes(cache),
            lockedPackages: lockedPackageCount(readFileSync(join(root, "package-lock.json"), "utf8")),
            registry: npm("config", "get", "registry"),
            npmVersion: npm("--version"),
        };
    } finally {
        rmSync(scratch, { recursive: true, force: true });
    }
}
