/** Kubernetes-style binary quantities as the plan writes sizes ("102Mi", "10Gi", "1073741824"), in bytes. */
export function bytesOf(size: string): number {
    const m = /^(\d+)(Ki|Mi|Gi|Ti)?$/.exec(size);
    if (!m) {
        throw new Error(`not a size: ${size}`);
    }
    return Number(m[1]) * (m[2] ? 1024 ** (["Ki", "Mi", "Gi", "Ti"].indexOf(m[2]) + 1) : 1);
}
