/**
 * Platforms (`os/architecture[/variant]`) as image indexes name them, and how refit picks the
 * entry of an index that a container on this host would run.
 */
export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string | undefined;
}

/** The variant an architecture means when an index leaves it out (containerd's defaults). */
const DEFAULT_VARIANTS: Readonly<Record<string, string>> = { arm64: 'v8', arm: 'v7' };

/** Node's `process.arch` → the Go architecture names images use. */
const GO_ARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  ia32: '386',
  arm64: 'arm64',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

/**
 * The platform of this host as Docker would pull for it: always linux (Docker Desktop runs a
 * Linux VM), this CPU's architecture. Callers that know the platform of the container's current
 * image (its inspect's Os/Architecture/Variant) should pass that instead.
 */
export function hostPlatform(arch: string = process.arch): Platform {
  const architecture = GO_ARCH[arch] ?? arch;
  return { os: 'linux', architecture, variant: DEFAULT_VARIANTS[architecture] };
}

export function formatPlatform(platform: Platform): string {
  const base = `${platform.os}/${platform.architecture}`;
  return platform.variant === undefined || platform.variant === '' ? base : `${base}/${platform.variant}`;
}

function variantOf(platform: Platform): string | undefined {
  const variant = platform.variant === '' ? undefined : platform.variant;
  return variant ?? DEFAULT_VARIANTS[platform.architecture];
}

/**
 * The index of the entry to use among `entries` (each with its platform, when the index says):
 * same OS and architecture, and the same variant (an absent variant means the architecture's
 * default: arm64 is v8). `undefined` when none fits.
 */
export function matchPlatform(
  entries: readonly { readonly platform?: Platform | undefined }[],
  wanted: Platform,
): number | undefined {
  const fits = entries
    .map((entry, index) => ({ platform: entry.platform, index }))
    .filter(
      (entry) =>
        entry.platform !== undefined &&
        entry.platform.os === wanted.os &&
        entry.platform.architecture === wanted.architecture,
    );
  const exact = fits.find(
    (entry) => entry.platform !== undefined && variantOf(entry.platform) === variantOf(wanted),
  );
  if (exact !== undefined) return exact.index;
  // A lone entry that names no variant is what `docker pull` would take too.
  const [only] = fits;
  const unnamed = only?.platform?.variant === undefined || only.platform.variant === '';
  return fits.length === 1 && unnamed ? only?.index : undefined;
}
