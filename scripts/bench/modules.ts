/** Which of the program's SDK packages a process has loaded, and how much of each. Pure except `packageFileCount`. */
import { readdirSync } from "node:fs";
import { join } from "node:path";

/** The Pulumi packages index.ts and components/ import. */
export const PROGRAM_PACKAGES = [
    "@pulumi/pulumi",
    "@pulumi/aws",
    "@pulumi/gcp",
    "@pulumi/kubernetes",
    "@pulumi/kafka",
    "@pulumi/rabbitmq",
    "@pulumi/confluentcloud",
] as const;

/** For each package, how many of the given module paths (e.g. `Object.keys(require.cache)`) lie inside it. */
export function loadedModulesByPackage(modulePaths: readonly string[], packages: readonly string[] = PROGRAM_PACKAGES): Record<string, number> {
    const counts: Record<string, number> = Object.fromEntries(packages.map((p) => [p, 0]));
    for (const path of modulePaths) {
        const at = path.lastIndexOf("/node_modules/");
        if (at < 0) {
            continue;
        }
        const rest = path.slice(at + "/node_modules/".length).split("/");
        const name = rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
        if (name !== undefined && name in counts) {
            counts[name] = (counts[name] as number) + 1;
        }
    }
    return counts;
}

/** The number of `.js` files a package ships (what an eager load would read). */
export function packageFileCount(nodeModules: string, pkg: string): number {
    return (readdirSync(join(nodeModules, pkg), { recursive: true, encoding: "utf8" }) as string[]).filter(
        (f) => f.endsWith(".js") && !f.split("/").includes("node_modules"),
    ).length;
}
