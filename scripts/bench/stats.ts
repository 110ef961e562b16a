/** The few computations the benchmark report makes: medians, relative change, units. Pure. */

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
    if (values.length === 0) {
        throw new Error("median of an empty list");
    }
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** How much `value` differs from `base`, in percent of `base` (+25 means 25% more). */
export function percentChange(base: number, value: number): number {
    if (base === 0) {
        throw new Error("percentChange: the base is 0");
    }
    return ((value - base) / base) * 100;
}

/** `12 ms`, `1.23 s`, `84.5 s`, `7.2 min`. */
export function formatDuration(ms: number): string {
    if (ms < 1000) {
        return `${Math.round(ms)} ms`;
    }
    if (ms < 10_000) {
        return `${(ms / 1000).toFixed(2)} s`;
    }
    if (ms < 120_000) {
        return `${(ms / 1000).toFixed(1)} s`;
    }
    return `${(ms / 60_000).toFixed(1)} min`;
}

/** Per-resource times are fractions of a millisecond: `0.412 ms`. */
export function formatPerResource(ms: number): string {
    return `${ms.toFixed(3)} ms`;
}

/** `512 KiB`, `278 MiB`, `3.0 GiB`. */
export function formatBytes(bytes: number): string {
    const KiB = 1024;
    const MiB = KiB * 1024;
    const GiB = MiB * 1024;
    if (bytes >= GiB) {
        return `${(bytes / GiB).toFixed(1)} GiB`;
    }
    if (bytes >= MiB) {
        return `${Math.round(bytes / MiB)} MiB`;
    }
    return `${Math.round(bytes / KiB)} KiB`;
}

/** `+12.3%`, `-4.0%`. */
export function formatPercent(p: number): string {
    return `${p >= 0 ? "+" : ""}${p.toFixed(1)}%`;
}

/** A target's verdict as the report prints it. */
export function verdict(met: boolean): "PASS" | "MISS" {
    return met ? "PASS" : "MISS";
}
